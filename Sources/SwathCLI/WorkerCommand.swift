import ArgumentParser
import Dispatch
import Foundation
import SwathWorkflow
import Synchronization

struct WorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract:
      "Run queued jobs (cutting tasks, consensus runs) until stopped: one of any number, on any machine.",
    discussion: """
      Claims the oldest queued job (a claim is exclusive: two workers never run the same job), runs it while beating its heartbeat, records its outcome, and waits for the next. A job whose worker died (killed, or its machine lost) is claimed again once its heartbeat lapses, and running a job twice leaves one result. SIGTERM or SIGINT stops the worker after the job in hand. 'swath serve' runs jobs too unless given --no-jobs.

      Example:
        swath worker --store postgres://swath@db.example:5432/atlanta --workspace /srv/swath
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Flag(help: "Run the jobs queued now, then exit.")
  var once = false

  @Option(help: "Seconds between heartbeats while a job runs.")
  var heartbeatSeconds: Double = Workspace.Heartbeat.standard.interval

  @Option(help: "Seconds without a heartbeat after which another worker takes a running job over.")
  var lapseSeconds: Double = Workspace.Heartbeat.standard.lapse

  @Option(help: "Seconds to wait between looks at an empty queue.")
  var pollSeconds: Double = 1

  func validate() throws {
    guard heartbeatSeconds > 0, lapseSeconds > heartbeatSeconds else {
      throw ValidationError("--lapse-seconds must exceed --heartbeat-seconds, both positive")
    }
    guard pollSeconds > 0 else { throw ValidationError("--poll-seconds must be positive") }
  }

  func run() throws {
    let workspace = try self.workspace.open()
    let heartbeat = Workspace.Heartbeat(interval: heartbeatSeconds, lapse: lapseSeconds)
    let stopping = StopSignals()
    FileHandle.standardError.write(Data("swath worker: \(Idempotency.thisProcess) waiting for jobs\n".utf8))
    while !stopping.requested {
      let job: JobView?
      do {
        job = try workspace.runNextJob(heartbeat: heartbeat).map(JobView.init)
      } catch {
        // The store went away: say so, wait, try again; the job in hand is taken over later.
        FileHandle.standardError.write(Data("swath worker: \(error)\n".utf8))
        Thread.sleep(forTimeInterval: pollSeconds)
        continue
      }
      if let job {
        print("job #\(job.id) \(job.kind): \(job.state)\(job.error.map { " (\($0))" } ?? "")")
      } else if once {
        break
      } else {
        stopping.wait(seconds: pollSeconds)
      }
    }
  }
}

/// SIGTERM and SIGINT ask the worker to stop after the job in hand.
// @unchecked: `sources` is set once in init and only kept alive; the flag is a Mutex.
private final class StopSignals: @unchecked Sendable {
  private let stopped = Mutex(false)
  private let sources: [any DispatchSourceSignal]
  private let wakeUp = DispatchSemaphore(value: 0)

  init() {
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGTERM, SIGINT] {
      signal(number, SIG_IGN)
      sources.append(DispatchSource.makeSignalSource(signal: number, queue: .global()))
    }
    self.sources = sources
    for source in sources {
      source.setEventHandler { [self] in
        stopped.withLock { $0 = true }
        wakeUp.signal()
      }
      source.resume()
    }
  }

  var requested: Bool { stopped.withLock { $0 } }

  func wait(seconds: Double) { _ = wakeUp.wait(timeout: .now() + seconds) }
}
