import ArgumentParser
import Foundation
import SwathSupport

/// A progress bar on standard error, redrawn in place at most ten times a second: the step, the
/// units done of the total, the rate and the time left. Steps of unknown size show the count and
/// the time spent. The line is cleared when a step ends, so only the command's own output stays.
final class TerminalProgress: ProgressReporter, @unchecked Sendable {
  // @unchecked: every mutable field is read and written only under `lock`.
  private let lock = NSLock()
  private let width: Int
  private var step = ""
  private var unit = ""
  private var total: Int?
  private var done = 0
  private var started = Date()
  private var lastDrawn = Date.distantPast

  init(width: Int = 80) { self.width = width }

  /// The reporter a command should use: a bar on a terminal, nothing when standard error is
  /// not a terminal (a log, a pipe, CI) or when the user asked for quiet.
  static func forStandardError(quiet: Bool) -> any ProgressReporter {
    guard !quiet, isatty(STDERR_FILENO) == 1 else { return SilentProgress() }
    var size = winsize()
    let known = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0
    return TerminalProgress(width: known ? min(Int(size.ws_col), 120) : 80)
  }

  func begin(_ step: String, unit: String, total: Int?) {
    lock.withLock {
      self.step = step
      self.unit = unit
      self.total = total
      done = 0
      started = Date()
      lastDrawn = .distantPast
      draw(force: true)
    }
  }

  func advance(by count: Int) {
    lock.withLock {
      done += count
      draw(force: false)
    }
  }

  func end() {
    lock.withLock {
      guard !step.isEmpty else { return }
      step = ""
      write("\r\u{1B}[K")
    }
  }

  /// The line for the current state; exposed for tests.
  static func line(
    step: String, unit: String, done: Int, total: Int?, elapsed: TimeInterval, width: Int
  ) -> String {
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    var tail = "\(done)"
    if let total { tail += "/\(total)" }
    tail += " \(unit)"
    if rate > 0 { tail += String(format: ", %.0f/s", rate) }
    guard let total, total > 0 else {
      return done == 0 ? "\(step), \(duration(elapsed))" : "\(step) \(tail), \(duration(elapsed))"
    }
    if rate > 0, done < total { tail += ", \(duration(Double(total - done) / rate)) left" }
    let fraction = min(1, Double(done) / Double(total))
    let label = "\(step) "
    let percent = String(format: " %3.0f%% ", fraction * 100)
    // The bar takes what the text leaves of the line, and is left out on a narrow terminal.
    let barWidth = min(40, width - 1 - label.count - percent.count - tail.count)
    guard barWidth >= 5 else { return label + percent.dropFirst() + tail }
    let filled = Int((fraction * Double(barWidth)).rounded(.down))
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
    return label + bar + percent + tail
  }

  static func duration(_ seconds: TimeInterval) -> String {
    let whole = Int(seconds.rounded())
    return whole >= 60 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : "\(whole)s"
  }

  private func draw(force: Bool) {
    let now = Date()
    guard force || now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
    lastDrawn = now
    let text = Self.line(
      step: step, unit: unit, done: done, total: total, elapsed: now.timeIntervalSince(started),
      width: width)
    write("\r\u{1B}[K" + String(text.prefix(width - 1)))
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}

/// `--quiet`, for the commands that show progress on a terminal.
struct ProgressOption: ParsableArguments {
  @Flag(help: "Show no progress bar (none is shown when standard error is not a terminal).")
  var quiet = false

  var reporter: any ProgressReporter { TerminalProgress.forStandardError(quiet: quiet) }
}
