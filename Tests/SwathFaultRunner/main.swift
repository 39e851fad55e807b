// Runs a use case with a fault point installed from the test side: the process stops itself
// (SIGSTOP) at the named point, and the test, having seen it stopped, kills it there.
//
//   swath-fault-runner stop-after-receive WORKSPACE TASK ANNOTATOR FILE CHIP
import Foundation
import SwathWorkflow

let arguments = CommandLine.arguments
guard arguments.count == 7, arguments[1] == "stop-after-receive" else {
  FileHandle.standardError.write(
    Data("usage: swath-fault-runner stop-after-receive WORKSPACE TASK ANNOTATOR FILE CHIP\n".utf8))
  exit(2)
}
do {
  let workspace = try Workspace.open(URL(fileURLWithPath: arguments[2]))
  let raw = try Data(contentsOf: URL(fileURLWithPath: arguments[5]))
  _ = try workspace.submit(
    task: arguments[3], annotator: arguments[4], fileName: arguments[5], raw: raw,
    chip: arguments[6], pixel: true, command: "fault-runner"
  ) { _ in raise(SIGSTOP) }
} catch {
  FileHandle.standardError.write(Data("swath-fault-runner: \(error)\n".utf8))
  exit(1)
}
