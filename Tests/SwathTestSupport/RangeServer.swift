import Foundation

/// A static file server with HTTP Range support (Python's standard library), for scenes read by
/// URL. Faults on request: a file removed answers 404; a file named `STALL` in the folder makes
/// every request hang (connection accepted, no answer).
public final class RangeServer: @unchecked Sendable {
  public let root: URL
  public let port: Int
  private let process: Process

  static let script = #"""
    import http.server, os, re, sys, time
    root = sys.argv[1]
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def do_HEAD(self): self.answer(False)
        def do_GET(self): self.answer(True)
        def answer(self, body):
            if os.path.exists(os.path.join(root, "STALL")):
                time.sleep(3600)
                return
            path = os.path.join(root, self.path.split("?")[0].lstrip("/"))
            if not os.path.isfile(path):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            size = os.path.getsize(path)
            start, end, status = 0, size - 1, 200
            wanted = self.headers.get("Range")
            if wanted:
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
                if not match or int(match.group(1)) >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = int(match.group(1))
                end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
                status = 206
            self.send_response(status)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start + 1))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Last-Modified", self.date_time_string(os.path.getmtime(path)))
            self.end_headers()
            if body:
                with open(path, "rb") as f:
                    f.seek(start)
                    self.wfile.write(f.read(end - start + 1))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

  /// Serves `root` on a free port of 127.0.0.1.
  public init(root: URL) throws {
    self.root = root
    process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", Self.script, root.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
      let chunk = output.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      line.append(chunk)
    }
    guard let text = String(data: line, encoding: .utf8),
      let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    else {
      process.terminate()
      throw NSError(
        domain: "RangeServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "no port from python3"])
    }
    self.port = port
  }

  public func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

  /// Every request from now on hangs (true) or is answered again (false).
  public func stall(_ on: Bool) {
    let marker = root.appendingPathComponent("STALL")
    if on {
      _ = FileManager.default.createFile(atPath: marker.path, contents: Data())
    } else {
      try? FileManager.default.removeItem(at: marker)
    }
  }

  public func stop() {
    // SIGKILL: the test runner's threads block SIGTERM, and a child inherits that mask.
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// A cloud-optimised GeoTIFF of `source` (gdal_translate -of COG) at `destination`.
  public static func makeCOG(from source: URL, to destination: URL) throws {
    let result = try TestSupport.tool(
      "gdal_translate", ["-q", "-of", "COG", "-co", "BLOCKSIZE=256", source.path, destination.path])
    guard result.status == 0 else {
      throw NSError(
        domain: "RangeServer", code: 2,
        userInfo: [NSLocalizedDescriptionKey: "gdal_translate: \(result.stderr)"])
    }
  }
}
