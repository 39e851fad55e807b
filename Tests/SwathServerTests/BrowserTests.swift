import Foundation
import SwathTestSupport
import Testing

/// The pages in a real browser: Tests/Browser is a pytest suite that makes workspaces with the
/// `swath` command, starts `swath serve` and drives Debian's headless Chromium through Selenium
/// (tools/setup installs all of it). It runs here so `swift test` (and CI) runs it too.
struct BrowserTests {
  static let python = TestSupport.packageRoot.appendingPathComponent("tools/.venv-browser/bin/python")

  @Test(.enabled(if: TestSupport.isCI || FileManager.default.isExecutableFile(atPath: python.path)))
  func pagesPassTheirBrowserSuite() throws {
    let run = try TestSupport.run(
      Self.python,
      [
        "-m", "pytest", TestSupport.packageRoot.appendingPathComponent("Tests/Browser").path, "-q", "-p",
        "no:cacheprovider", "--color=no",
      ],
      environment: ["SWATH_BINARY": TestSupport.swathBinary.path, "PYTHONDONTWRITEBYTECODE": "1"])
    #expect(run.status == 0, "\(run.stdout.suffix(6000))\(run.stderr.suffix(2000))")
    #expect(run.stdout.contains(" passed"), "\(run.stdout.suffix(2000))")
  }
}
