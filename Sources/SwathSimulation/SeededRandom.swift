import Foundation

/// A deterministic generator (SplitMix64): the same seed gives the same scene
/// and the same panel on every machine and Swift version, unlike the system generator.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [0, 1).
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
    range.lowerBound + (range.upperBound - range.lowerBound) * unit()
  }

  public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

  public mutating func int(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
  }

  /// Standard normal, by Box–Muller.
  public mutating func normal(mean: Double = 0, deviation: Double = 1) -> Double {
    let u1 = max(unit(), 1e-300)
    let u2 = unit()
    return mean + deviation * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
  }
}
