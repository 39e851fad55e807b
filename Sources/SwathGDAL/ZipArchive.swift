import CGDAL
import Foundation

/// ZIP archives through GDAL's own writer (`CPLCreateZip`, minizip), so no second ZIP library is
/// needed. Files that are compressed already (PNG, TIFF, GeoPackage pages are not) are stored
/// as they are; everything else is deflated.
public enum ZipArchive {
  /// Extensions whose files gain nothing from deflate.
  static let storedAsIs: Set<String> = ["png", "jpg", "jpeg", "webp", "zip", "gz", "tif", "tiff"]

  /// Writes every regular file under `folder` (paths relative to it, in sorted order) into a new
  /// archive at `archive`. A failure removes what was written and carries GDAL's message.
  public static func write(folder: URL, to archive: URL) throws {
    GDAL.initialize()
    let root = folder.standardizedFileURL.resolvingSymlinksInPath()
    guard
      let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
    else { throw GDALError("\(folder.path): cannot list the folder to archive") }
    var files: [String] = []
    for case let url as URL in walker
    where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
      let path = url.standardizedFileURL.resolvingSymlinksInPath().path
      files.append(String(path.dropFirst(root.path.count + 1)))
    }
    files.sort()
    GDAL.resetError()
    guard let zip = CPLCreateZip(archive.path, nil) else {
      throw GDALError.last("\(archive.path): cannot create the archive")
    }
    var closed = false
    defer { if !closed { CPLCloseZip(zip) } }
    do {
      for file in files {
        let stored = storedAsIs.contains((file as NSString).pathExtension.lowercased())
        var options: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        options = CSLSetNameValue(options, "COMPRESSED", stored ? "NO" : "YES")
        defer { CSLDestroy(options) }
        guard CPLCreateFileInZip(zip, file, options) == CE_None else {
          throw GDALError.last("\(archive.path): cannot add \(file)")
        }
        guard let input = FileHandle(forReadingAtPath: root.appendingPathComponent(file).path) else {
          throw GDALError("\(file): cannot read it to archive")
        }
        defer { try? input.close() }
        while let block = try input.read(upToCount: 1 << 20), !block.isEmpty {
          let written = block.withUnsafeBytes { bytes in
            CPLWriteFileInZip(zip, bytes.baseAddress, Int32(bytes.count))
          }
          guard written == CE_None else { throw GDALError.last("\(archive.path): cannot write \(file)") }
        }
        guard CPLCloseFileInZip(zip) == CE_None else {
          throw GDALError.last("\(archive.path): cannot finish \(file)")
        }
      }
      closed = true
      guard CPLCloseZip(zip) == CE_None else {
        throw GDALError.last("\(archive.path): cannot finish the archive")
      }
    } catch {
      try? FileManager.default.removeItem(at: archive)
      throw error
    }
  }
}
