import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport
import SwathTiling

/// The folder a training export writes: checked before any work, built under a temporary name
/// beside it (`.NAME.tmp-XXXXXXXX`) and renamed into place at the end. A folder that exists is
/// replaced only when forced, and only once the new one is complete.
struct TrainingOutputFolder {
  let destination: URL
  let force: Bool

  init(path: String, force: Bool) throws {
    destination = URL(fileURLWithPath: path).standardizedFileURL
    self.force = force
    let manager = FileManager.default
    let parent = destination.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: parent.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw WorkflowError("output \(path): folder \(parent.path) does not exist")
    }
    guard access(parent.path, W_OK) == 0 else {
      throw WorkflowError("output \(path): folder \(parent.path) is not writable", kind: .environment)
    }
    if manager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw WorkflowError("output \(path) exists and is not a folder")
      }
      let entries = (try? manager.contentsOfDirectory(atPath: destination.path)) ?? []
      if !entries.isEmpty && !force {
        throw WorkflowError(
          "output folder \(path) exists and is not empty (\(entries.count) entries); use --force to replace it",
          kind: .conflict)
      }
    }
  }

  /// Runs `body` on a new temporary folder beside the destination, then puts the folder in the
  /// destination's place. On failure the temporary folder is removed and the destination is as
  /// it was.
  func build<T>(_ body: (URL) throws -> T) throws -> T {
    let manager = FileManager.default
    let parent = destination.deletingLastPathComponent()
    // What exports to the same destination left when they were killed.
    LocalProcess.removeLeftovers(
      in: destination.deletingLastPathComponent(), prefix: ".\(destination.lastPathComponent).tmp-")
    // The process id in the name tells a later export whether its writer is still alive.
    let tag = "\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    let temporary = parent.appendingPathComponent(".\(destination.lastPathComponent).tmp-\(tag)")
    do {
      try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
    } catch {
      throw WorkflowError(
        "cannot create \(temporary.path): \(error.localizedDescription)", kind: .environment)
    }
    var committed = false
    defer { if !committed { try? manager.removeItem(at: temporary) } }
    let result = try body(temporary)
    if manager.fileExists(atPath: destination.path) {
      // Replacing (an empty folder, or a forced one): the old folder steps aside first, so the
      // destination is either the old folder or the new, never a mix.
      let old = parent.appendingPathComponent(".\(destination.lastPathComponent).old-\(tag)")
      guard rename(destination.path, old.path) == 0 else {
        throw WorkflowError(
          "cannot move \(destination.path) aside: \(String(cString: strerror(errno)))", kind: .environment)
      }
      guard rename(temporary.path, destination.path) == 0 else {
        let reason = String(cString: strerror(errno))
        _ = rename(old.path, destination.path)
        throw WorkflowError(
          "cannot rename \(temporary.path) to \(destination.path): \(reason)", kind: .environment)
      }
      committed = true
      try? manager.removeItem(at: old)
    } else {
      guard rename(temporary.path, destination.path) == 0 else {
        throw WorkflowError(
          "cannot rename \(temporary.path) to \(destination.path): \(String(cString: strerror(errno)))",
          kind: .environment)
      }
      committed = true
    }
    return result
  }
}

/// The files every training format writes: PNGs with the chip's georeference sidecars, JSON.
enum TrainingFiles {
  /// `data` as `folder/name` with the chip's `.pgw` and `.png.aux.xml` beside it.
  static func writePNG(
    _ data: Data, named name: String, in folder: URL, geotransform: [Double], reference: SpatialReference?
  ) throws {
    try write(data, to: folder.appendingPathComponent(name))
    try writeSidecars(forPNG: name, in: folder, geotransform: geotransform, reference: reference)
  }

  static func writeSidecars(
    forPNG name: String, in folder: URL, geotransform: [Double], reference: SpatialReference?
  ) throws {
    guard geotransform.count == 6 else { return }
    for file in ChipSidecars.files(
      forPNG: name, geotransform: GeoTransform(geotransform), reference: reference)
    {
      try write(Data(file.text.utf8), to: folder.appendingPathComponent(file.name))
    }
  }

  /// Inside the export's temporary folder, so a plain write: the folder is renamed as a whole.
  static func write(_ data: Data, to url: URL) throws {
    do {
      try data.write(to: url)
    } catch {
      throw WorkflowError("cannot write \(url.path): \(error.localizedDescription)", kind: .environment)
    }
  }

  static func writeJSON(_ value: JSONValue, to url: URL) throws {
    try write(Data(value.jsonText(format: .indented).utf8), to: url)
  }

  /// A chip key as a file name: letters, digits, `.`, `_` and `-` kept, anything else `_`.
  static func safeName(_ key: String) -> String {
    String(
      key.map { character -> Character in
        character.isASCII && (character.isLetter || character.isNumber || "._-".contains(character))
          ? character : "_"
      })
  }
}
