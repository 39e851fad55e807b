import Foundation

/// Dawid–Skene for detection, estimated by expectation–maximisation over the clusters.
///
/// A real cluster is drawn by each annotator asked to label it independently, with that
/// annotator's sensitivity. A cluster that is not real was made up by one annotator (chosen with
/// that annotator's share of the made-up clusters) and anyone else drawing it too is a rare
/// coincidence (a rate estimated with the rest). The textbook symmetric model, P(draw | not real)
/// per annotator, has a degenerate optimum whenever one annotator makes up most of the false
/// shapes: "not real" becomes "drawn by them", and everyone else's false shapes pass as real.
/// Rates are Laplace-smoothed, so no single annotator makes a posterior certain on its own.
public struct DawidSkene: Sendable {
  /// One observation: annotator `annotator` was asked, and `drew` says whether they drew the cluster.
  public struct Observation: Sendable, Hashable {
    public var annotator: Int
    public var drew: Bool
    public init(annotator: Int, drew: Bool) {
      self.annotator = annotator
      self.drew = drew
    }
  }

  /// Probability that each cluster is real.
  public var posterior: [Double]
  /// Per annotator: P(draws it | it is real).
  public var sensitivity: [Double]
  /// Per annotator: the share of the clusters judged not real, where they were asked, that they drew.
  public var falsePositiveRate: [Double]
  /// Per annotator: the share of their shapes judged real (weights their label votes).
  public var precision: [Double]
  public var prior: Double
  public var iterations: Int

  public init(clusters: [[Observation]], annotatorCount: Int, maxIterations: Int = 200) {
    let count = annotatorCount
    let clamp = { (value: Double) in min(0.999, max(0.001, value)) }
    // Start from a majority vote among annotators who drew anything at all (an empty
    // submission says nothing about which clusters are real).
    var active = [Bool](repeating: false, count: count)
    for observations in clusters {
      for observation in observations where observation.drew { active[observation.annotator] = true }
    }
    var posterior = clusters.map { observations -> Double in
      let voters = observations.filter { active[$0.annotator] }
      guard !voters.isEmpty else { return 0 }
      let share = Double(voters.filter(\.drew).count) / Double(voters.count)
      return share > 0.5 ? 1 : (share == 0.5 ? 0.5 : 0)
    }
    var sensitivity = [Double](repeating: 0.5, count: count)
    var origin = [Double](repeating: 1 / Double(max(1, count)), count: count)
    var coincidence = 0.05
    var prior = 0.5
    var iterations = 0
    let drawers = clusters.map { $0.filter(\.drew).map(\.annotator) }
    while iterations < maxIterations {
      iterations += 1
      // M step.
      var drewReal = [Double](repeating: 0, count: count)
      var askedReal = [Double](repeating: 0, count: count)
      var originated = [Double](repeating: 0, count: count)
      var fakeTotal = 0.0
      var extraDrawers = 0.0
      var extraChances = 0.0
      for (cluster, observations) in clusters.enumerated() {
        let real = posterior[cluster]
        for observation in observations {
          askedReal[observation.annotator] += real
          if observation.drew { drewReal[observation.annotator] += real }
        }
        let fake = 1 - real
        let own = drawers[cluster]
        guard !own.isEmpty else { continue }
        fakeTotal += fake
        let weight = own.reduce(0) { $0 + origin[$1] }
        for annotator in own {
          originated[annotator] += fake * (weight > 0 ? origin[annotator] / weight : 1 / Double(own.count))
        }
        extraDrawers += fake * Double(own.count - 1)
        extraChances += fake * Double(max(0, observations.count - 1))
      }
      for annotator in 0..<count {
        sensitivity[annotator] = clamp((drewReal[annotator] + 1) / (askedReal[annotator] + 2))
        origin[annotator] = (originated[annotator] + 0.5) / (fakeTotal + 0.5 * Double(count))
      }
      // A prior of 1% (worth five chances) keeps a handful of clusters from talking EM into
      // "everyone made up the same shape".
      coincidence = min(0.5, max(1e-4, (extraDrawers + 0.05) / (extraChances + 5)))
      prior = clamp((posterior.reduce(0, +) + 1) / (Double(clusters.count) + 2))
      // E step, in log-odds.
      let logPrior = log(prior / (1 - prior))
      var change = 0.0
      for (cluster, observations) in clusters.enumerated() {
        let own = drawers[cluster]
        guard !own.isEmpty else { continue }
        var logReal = 0.0
        for observation in observations {
          logReal += log(
            observation.drew ? sensitivity[observation.annotator] : 1 - sensitivity[observation.annotator])
        }
        let logFake =
          log(own.reduce(0) { $0 + origin[$1] }) + Double(own.count - 1) * log(coincidence)
          + Double(observations.count - own.count) * log(1 - coincidence)
        let updated = 1 / (1 + exp(-(logPrior + logReal - logFake)))
        change = max(change, abs(updated - posterior[cluster]))
        posterior[cluster] = updated
      }
      if change < 1e-7 { break }
    }
    var drewFake = [Double](repeating: 0, count: count)
    var askedFake = [Double](repeating: 0, count: count)
    var drewReal = [Double](repeating: 0, count: count)
    var drew = [Double](repeating: 0, count: count)
    for (cluster, observations) in clusters.enumerated() {
      for observation in observations {
        askedFake[observation.annotator] += 1 - posterior[cluster]
        if observation.drew {
          drewFake[observation.annotator] += 1 - posterior[cluster]
          drewReal[observation.annotator] += posterior[cluster]
          drew[observation.annotator] += 1
        }
      }
    }
    self.posterior = posterior
    self.sensitivity = sensitivity
    self.falsePositiveRate = (0..<count).map { clamp((drewFake[$0] + 1) / (askedFake[$0] + 2)) }
    self.precision = (0..<count).map { (drewReal[$0] + 1) / (drew[$0] + 2) }
    self.prior = prior
    self.iterations = iterations
  }

  /// How far a shape drawn by `annotator` can be trusted: the share of their shapes judged real.
  public func reliability(_ annotator: Int) -> Double { precision[annotator] }
}
