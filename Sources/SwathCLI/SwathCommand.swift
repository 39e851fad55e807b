import ArgumentParser
import Foundation
import SwathGDAL

public struct SwathCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "swath",
    abstract: "Geospatial imagery labeling backend: chip scenes, validate and merge annotations.",
    subcommands: []
  )

  public init() {}
}
