import ArgumentParser
import SwathConsensus
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
