// Runs a use case with a fault point installed from the test side: the process stops itself
// (SIGSTOP) at the named point, and the test, having seen it stopped, kills it there.
//
//   swath-fault-runner stop-after-receive WORKSPACE TASK ANNOTATOR FILE CHIP
//   swath-fault-runner stop-while-tiling WORKSPACE IMAGE TASK CHIPS   (after CHIPS chips are cut)
//   swath-fault-runner stop-in-consensus WORKSPACE TASK               (once the engine has started)
//   swath-fault-runner stop-in-training-export WORKSPACE TASK OUT CHIPS (after CHIPS chips, COCO)
import Foundation
import SwathStore
import SwathSupport
import SwathWorkflow

/// Stops the process at the `after`-th unit of `step` (0: as the step begins).
final class StopAt: ProgressReporter, @unchecked Sendable {
  // @unchecked: `done` and `current` are only touched under `lock`.
  private let lock = NSLock()
  private let step: String
  private let after: Int
  private var current = ""
  private var done = 0

  init(step: String, after: Int) {
    self.step = step
    self.after = after
  }

  func begin(_ step: String, unit: String, total: Int?) {
    lock.withLock {
      current = step
      done = 0
    }
    if step == self.step && after == 0 { raise(SIGSTOP) }
  }

  func advance(by count: Int) {
    let reached = lock.withLock { () -> Bool in
      let before = done
      done += count
      return current == step && before < after && done >= after
    }
    if reached { raise(SIGSTOP) }
  }

  func end() {}
}

let arguments = Array(CommandLine.arguments.dropFirst())
let caller = Caller(name: "fault-runner", role: .admin, command: "fault-runner")
do {
  switch (arguments.first, arguments.count) {
  case ("stop-after-receive", 6):
    let workspace = try Workspace.open(URL(fileURLWithPath: arguments[1]))
    let raw = try Data(contentsOf: URL(fileURLWithPath: arguments[4]))
    _ = try workspace.submit(
      task: arguments[2], annotator: arguments[3], fileName: arguments[4], raw: raw,
      chip: arguments[5], pixel: true, by: caller
    ) { _ in raise(SIGSTOP) }
  case ("stop-while-tiling", 5):
    let workspace = try Workspace.open(URL(fileURLWithPath: arguments[1]))
    let parameters = TaskParameters(
      name: arguments[3], imageName: arguments[2], region: "px:0,0,900,900", labels: ["building"],
      chipSize: 128, overlap: 16)
    _ = try workspace.createTask(
      parameters, by: caller, progress: StopAt(step: "chips", after: Int(arguments[4]) ?? 1))
  case ("stop-in-consensus", 3):
    let workspace = try Workspace.open(URL(fileURLWithPath: arguments[1]))
    _ = try workspace.runConsensus(
      task: arguments[2], by: caller, progress: StopAt(step: "consensus", after: 0))
  case ("stop-in-training-export", 5):
    let workspace = try Workspace.open(URL(fileURLWithPath: arguments[1]))
    _ = try workspace.exportTraining(
      task: arguments[2], format: .coco, out: arguments[3], by: caller,
      progress: StopAt(step: "training export", after: Int(arguments[4]) ?? 1))
  default:
    FileHandle.standardError.write(
      Data("usage: see the header of Tests/SwathFaultRunner/main.swift\n".utf8))
    exit(2)
  }
} catch {
  FileHandle.standardError.write(Data("swath-fault-runner: \(error)\n".utf8))
  exit(1)
}
