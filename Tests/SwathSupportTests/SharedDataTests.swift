import Foundation
import SwathTestSupport
import Testing

/// Under CI, the third-party data in `../shared` must be there: the tests that use it run
/// rather than skip, and this says plainly what is missing.
@Suite struct SharedDataTests {
  @Test(.enabled(if: TestSupport.isCI, "only under CI"))
  func sharedDataIsPresentUnderCI() {
    #expect(
      TestSupport.imageryPresent,
      "missing \(TestSupport.imagery.path)/MANIFEST.md: the imagery tests cannot run")
    #expect(
      TestSupport.fixturesPresent,
      "missing \(TestSupport.fixtures.path)/README.md: the fixture tests cannot run")
  }
}
