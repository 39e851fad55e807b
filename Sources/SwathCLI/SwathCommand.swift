import ArgumentParser
import Foundation
import SwathGDAL

public struct SwathCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "swath",
    abstract: "Geospatial imagery labeling backend: chip scenes, validate and merge annotations.",
    subcommands: [
      SceneCommand.self, ChipCommand.self, ValidateCommand.self, MergeCommand.self,
      SimulatePanelCommand.self, InitCommand.self, ImageCommand.self, TaskCommand.self,
      QueueCommand.self, SubmitCommand.self, StatusCommand.self, ConsensusCommand.self,
      ExportCommand.self, IoUCommand.self, UserCommand.self, LeaseCommand.self, FlagCommand.self,
      AuditCommand.self, SubmissionsCommand.self, ServeCommand.self, ReviewCommand.self,
      SimulateReviewCommand.self, GoldCommand.self, WorkerCommand.self,
    ]
  )

  public init() {}

  /// Runs the command line; errors become one line on stderr and a non-zero exit.
  /// Usage errors exit 2, a `SwathFailure` exits with its own code, anything else 1.
  public static func runMain(_ arguments: [String]? = nil) -> Never {
    do {
      var command = try parseAsRoot(arguments)
      try command.run()
      Foundation.exit(0)
    } catch let failure as SwathFailure {
      if !failure.message.isEmpty { FileHandle.standardError.write(Data("swath: \(failure.message)\n".utf8)) }
      Foundation.exit(failure.exitCode)
    } catch let exit as ExitCode {
      Foundation.exit(exit.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      if code == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      FileHandle.standardError.write(Data("swath: \(message(for: error))\n".utf8))
      Foundation.exit(1)
    }
  }
}

/// A failure the user can act on: one line, and the exit code to leave with.
public struct SwathFailure: Error, CustomStringConvertible {
  public var message: String
  public var exitCode: Int32
  public init(_ message: String, exitCode: Int32 = 1) {
    self.message = message
    self.exitCode = exitCode
  }
  public var description: String { message }
}
