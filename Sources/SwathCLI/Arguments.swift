import ArgumentParser
import SwathConsensus
import SwathStore
import SwathWorkflow

// Option values parsed where they are made: the parser lists the choices and refuses others
// with the flag's name, so the engines and the workflow only ever see valid typed values.

extension ConsensusMethod: ExpressibleByArgument {}
extension PolygonMerge: ExpressibleByArgument {}
extension BoxMerge: ExpressibleByArgument {}
extension Export.Format: ExpressibleByArgument {}

extension Quorum: ExpressibleByArgument {
  public init?(argument: String) { self.init(argument) }
}

extension IoUThreshold: ExpressibleByArgument {
  public init?(argument: String) {
    guard let value = Double(argument), let threshold = try? IoUThreshold(value) else { return nil }
    self = threshold
  }
}

extension ChipDistribution: ExpressibleByArgument {}
extension ChipSource: ExpressibleByArgument {}

/// A duration as people write it: `7200`, `90s`, `45m`, `2h`.
struct LeaseTime: ExpressibleByArgument, Sendable {
  var seconds: Int

  init(seconds: Int) { self.seconds = seconds }

  init?(argument: String) {
    let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
    var text = argument.lowercased()
    var scale = 1
    if let last = text.last, let unit = units[last] {
      scale = unit
      text.removeLast()
    }
    guard let value = Int(text), value > 0, value <= Int.max / scale else { return nil }
    seconds = value * scale
  }

  var defaultValueDescription: String { "\(seconds)s" }
}

extension CoordinateFrame: ExpressibleByArgument {}
