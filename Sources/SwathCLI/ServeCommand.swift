import ArgumentParser
import Foundation
import SwathServer
import SwathWeb
import SwathWorkflow

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract:
      "Serve the workspace over HTTP: the JSON API under /api/v1 (bearer tokens) and the browser pages at /app/.",
    discussion: """
      Listens on loopback by default; put a TLS-terminating reverse proxy in front of it to serve other machines (README, "HTTP API"). Every request but /healthz, /readyz and /api/v1/openapi.yaml needs 'Authorization: Bearer TOKEN' (swath user add|token issue them). SIGTERM or SIGINT stops it after the requests in flight.

      Example:
        swath serve --workspace work --port 8080
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Option(help: "The address to listen on.")
  var host = "127.0.0.1"

  @Option(help: "The port to listen on (0: any free port, printed on start).")
  var port = 8080

  @Option(help: "The largest request body taken, in MiB; larger ones get 413.")
  var maxBodyMb = 64

  @Option(help: "Seconds a connection may stay silent before it is closed.")
  var idleTimeout = 30

  @Option(help: "Failed authentications from one address within 5 minutes before it is refused (429).")
  var maxFailedLogins = 20

  @Option(help: "MiB of rendered chips (on-demand tasks) kept in memory; 0 keeps none.")
  var chipCacheMb = 256

  @Option(
    help:
      "Seconds a chip render (on-demand tasks) may take before the request is answered 502; a scene's HTTP reads time out no later."
  )
  var renderTimeout = 20.0

  @Flag(help: "Behind a reverse proxy on this machine: count failed logins by the X-Forwarded-For client.")
  var trustForwardedFor = false

  @Flag(help: "Run no background jobs here: 'swath worker' processes run them (PostgreSQL stores).")
  var noJobs = false

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is outside 0…65535") }
    guard maxFailedLogins >= 1 else { throw ValidationError("--max-failed-logins must be at least 1") }
    guard (1...3600).contains(idleTimeout) else {
      throw ValidationError("--idle-timeout \(idleTimeout) is outside 1…3600 seconds")
    }
    guard (0...65536).contains(chipCacheMb) else {
      throw ValidationError("--chip-cache-mb \(chipCacheMb) is outside 0…65536")
    }
    guard renderTimeout.isFinite, (1...600).contains(renderTimeout) else {
      throw ValidationError("--render-timeout \(renderTimeout) is outside 1…600 seconds")
    }
    guard (1...4096).contains(maxBodyMb) else {
      throw ValidationError("--max-body-mb \(maxBodyMb) is outside 1…4096")
    }
  }

  func run() throws {
    // A database still starting (or down) does not stop the node: it serves 503 and /readyz
    // says not ready until the store answers.
    let workspace = try self.workspace.open(waitForStore: false)
    StoreWatch.start(workspace)
    Workspace.limitSceneReads(toSeconds: renderTimeout)
    let api = SwathAPI(
      workspace: workspace,
      options: ServerOptions(
        host: host, port: port, maxBodyBytes: maxBodyMb << 20,
        slowLoginsAfter: max(1, maxFailedLogins / 4), refuseLoginsAfter: maxFailedLogins,
        idleTimeout: idleTimeout, trustForwardedFor: trustForwardedFor, runsJobs: !noJobs,
        chipCacheBytes: chipCacheMb << 20, renderTimeout: renderTimeout))
    let host = self.host
    if api.pages == nil {
      FileHandle.standardError.write(
        Data(
          "swath serve: the browser pages are missing (no SwathWeb resources beside the binary); only the API is served\n"
            .utf8))
    }
    if api.leaflet == nil {
      FileHandle.standardError.write(
        Data(
          "swath serve: Leaflet is missing at \(WebAssets.systemLeaflet.path): install Debian's libjs-leaflet (tools/setup does) or set SWATH_LEAFLET_DIR; the pages will not show maps\n"
            .utf8))
    }
    try api.runUntilSignalled { port in
      let base = "http://\(host):\(port.map(String.init) ?? "?")"
      // Unbuffered, so a supervisor (or the end-to-end test) sees the port at once.
      FileHandle.standardOutput.write(
        Data(
          "swath serve: listening on \(base) (workspace \(workspace.folder.path)); pages at \(base)/app/\n"
            .utf8))
    }
  }
}

/// Connects a node's store in the background, retrying with backoff and saying so on stderr, so
/// that a node started before its database becomes ready when the database does.
enum StoreWatch {
  static func start(_ workspace: Workspace) {
    let thread = Thread {
      var pause = 0.5
      var said = false
      while true {
        do {
          try workspace.store.waitUntilReady(timeout: 0)
          if said { FileHandle.standardError.write(Data("swath: the store is reachable again\n".utf8)) }
          return
        } catch {
          FileHandle.standardError.write(
            Data("swath: the store is unavailable (\(error)); retrying in \(pause) s\n".utf8))
          said = true
          Thread.sleep(forTimeInterval: pause)
          pause = min(pause * 2, 30)
        }
      }
    }
    thread.name = "swath-store-watch"
    thread.start()
  }
}
