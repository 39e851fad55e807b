import Foundation

/// Processes on this machine, as the writers of temporary files and claims name them.
public enum LocalProcess {
  /// Whether no process has the id `pid` any more: it ended or was killed.
  public static func isGone(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) != 0 && errno == ESRCH }

  /// Removes the entries of `folder` named `prefix`, a process id, `-` and anything, whose process
  /// is gone: what writers killed half-way left behind.
  public static func removeLeftovers(in folder: URL, prefix: String) {
    let manager = FileManager.default
    for name in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
      guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), isGone(pid) else { continue }
      try? manager.removeItem(at: folder.appendingPathComponent(name))
    }
  }
}
