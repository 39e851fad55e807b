import Foundation

/// A failure to put a file in place: one line naming the path and the system's reason.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A file that appears at its final path whole or not at all: it is written under a temporary
/// name in the same folder (so the rename cannot cross file systems) and renamed on `commit()`.
/// Readers never see half a file, and a failed or killed writer leaves only a dot-file behind.
///
/// Every writer in Swath uses this one naming scheme: `.<name>.<pid>-<random>.tmp`, plus the
/// final extension when `keepExtension` is set (GDAL's drivers choose their format by it).
public struct AtomicFile: Sendable {
  public let destination: URL
  public let temporary: URL

  public init(destination: URL, keepExtension: Bool = false) {
    self.destination = destination
    let pid = ProcessInfo.processInfo.processIdentifier
    let random = UInt32.random(in: 0...UInt32.max)
    var name = ".\(destination.lastPathComponent).\(pid)-\(String(random, radix: 16)).tmp"
    if keepExtension, !destination.pathExtension.isEmpty { name += ".\(destination.pathExtension)" }
    temporary = destination.deletingLastPathComponent().appendingPathComponent(name)
  }

  /// Renames the temporary file into place; on failure the temporary file is removed.
  public func commit() throws {
    guard rename(temporary.path, destination.path) == 0 else {
      let reason = String(cString: strerror(errno))
      discard()
      throw FileWriteError("cannot write \(destination.path): \(reason)")
    }
  }

  /// Removes the temporary file; nothing reaches `destination`.
  public func discard() {
    unlink(temporary.path)
  }

  /// Lets `body` write the temporary file, then renames it into place; if `body` throws, the
  /// temporary file is removed and the destination is left as it was.
  public static func write<T>(
    to destination: URL, keepExtension: Bool = false, _ body: (URL) throws -> T
  ) throws -> T {
    let file = AtomicFile(destination: destination, keepExtension: keepExtension)
    let result: T
    do {
      result = try body(file.temporary)
    } catch {
      file.discard()
      throw error
    }
    try file.commit()
    return result
  }

  /// Writes `data` to `destination` through a temporary file.
  public static func write(_ data: Data, to destination: URL) throws {
    try write(to: destination) { temporary in
      guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
        throw FileWriteError("cannot write \(destination.path): \(String(cString: strerror(errno)))")
      }
    }
  }

  /// Writes several files so that either all of them appear or none does: every temporary file
  /// is written before the first rename.
  public static func writeAll(_ files: [(data: Data, destination: URL)]) throws {
    var written: [AtomicFile] = []
    do {
      for (data, destination) in files {
        let file = AtomicFile(destination: destination)
        written.append(file)
        guard FileManager.default.createFile(atPath: file.temporary.path, contents: data) else {
          throw FileWriteError(
            "cannot write \(destination.path): \(String(cString: strerror(errno)))")
        }
      }
      for file in written { try file.commit() }
    } catch {
      for file in written { file.discard() }
      throw error
    }
  }
}
