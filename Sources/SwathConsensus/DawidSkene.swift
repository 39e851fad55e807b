import Foundation
import SwathGeometry
import SwathSupport

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
  /// Per annotator: whether the sensitivity and false-shape rates come from the gold clusters
  /// (at least `minimumGoldObjects` gold objects where they were asked) rather than agreement.
  public var fromGold: [Bool]
  public var prior: Double
  public var iterations: Int

  /// Every cluster's observations in flat arrays: the EM loop below visits them hundreds of
  /// times, and one array per cluster costs a pointer chase (and its reference counting) each.
  public struct Observations: Sendable {
    public let annotatorCount: Int
    /// Cluster `c`'s observations are entries `starts[c]..<starts[c + 1]`.
    var starts: [Int] = [0]
    var annotators: [Int] = []
    var drew: [Bool] = []
    /// Cluster `c`'s drawers, in observation order, are entries `drawerStarts[c]..<drawerStarts[c + 1]`.
    var drawerStarts: [Int] = [0]
    var drawers: [Int] = []
    /// Per cluster: 1 for a gold object, 0 for a shape that matched none in the gold area,
    /// NaN where the truth is not known.
    var known: [Double] = []

    public init(annotatorCount: Int) { self.annotatorCount = annotatorCount }

    /// Room for `clusters` more clusters with `observations` observations in all.
    public mutating func reserveCapacity(clusters: Int, observations: Int) {
      starts.reserveCapacity(starts.count + clusters)
      drawerStarts.reserveCapacity(drawerStarts.count + clusters)
      annotators.reserveCapacity(annotators.count + observations)
      drew.reserveCapacity(drew.count + observations)
      drawers.reserveCapacity(drawers.count + observations)
    }

    public var clusterCount: Int { starts.count - 1 }

    /// Adds one cluster: who was asked, whether each drew it, and whether it is real when that
    /// is known (gold).
    public mutating func appendCluster(
      _ observations: some Sequence<(annotator: Int, drew: Bool)>, known: Double? = nil
    ) {
      self.known.append(known ?? .nan)
      for observation in observations {
        annotators.append(observation.annotator)
        drew.append(observation.drew)
        if observation.drew { drawers.append(observation.annotator) }
      }
      starts.append(annotators.count)
      drawerStarts.append(drawers.count)
    }
  }

  public init(clusters: [[Observation]], annotatorCount: Int, maxIterations: Int = 200) {
    var observations = Observations(annotatorCount: annotatorCount)
    for cluster in clusters { observations.appendCluster(cluster.lazy.map { ($0.annotator, $0.drew) }) }
    self.init(observations, maxIterations: maxIterations)
  }

  // The arithmetic below is done in the same order as the one-array-per-cluster version it
  // replaced (and logarithms of the same values are taken once per round rather than once per
  // use), so results are the same to the last bit.
  public init(_ observations: Observations, maxIterations: Int = 200) {
    let count = observations.annotatorCount
    let clusterCount = observations.clusterCount
    let starts = observations.starts
    let annotatorOf = observations.annotators
    let drewIt = observations.drew
    let drawerStarts = observations.drawerStarts
    let drawers = observations.drawers
    let known = observations.known
    let clamp = { (value: Double) in min(0.999, max(0.001, value)) }
    // Start from a majority vote among annotators who drew anything at all (an empty
    // submission says nothing about which clusters are real).
    var active = [Bool](repeating: false, count: count)
    for annotator in drawers { active[annotator] = true }
    var posterior = (0..<clusterCount).map { cluster -> Double in
      if !known[cluster].isNaN { return known[cluster] }
      var voters = 0
      var voted = 0
      for entry in starts[cluster]..<starts[cluster + 1] where active[annotatorOf[entry]] {
        voters += 1
        if drewIt[entry] { voted += 1 }
      }
      guard voters > 0 else { return 0 }
      let share = Double(voted) / Double(voters)
      return share > 0.5 ? 1 : (share == 0.5 ? 0.5 : 0)
    }
    // What the gold clusters say, once: their truth never changes.
    var goldDrew = [Double](repeating: 0, count: count)
    var goldAsked = [Double](repeating: 0, count: count)
    var goldDrewFake = [Double](repeating: 0, count: count)
    var goldAskedFake = [Double](repeating: 0, count: count)
    var goldOriginated = [Double](repeating: 0, count: count)
    var goldFakes = 0.0
    for cluster in 0..<clusterCount where !known[cluster].isNaN {
      let real = known[cluster] > 0.5
      for entry in starts[cluster]..<starts[cluster + 1] {
        let annotator = annotatorOf[entry]
        if real {
          goldAsked[annotator] += 1
          if drewIt[entry] { goldDrew[annotator] += 1 }
        } else {
          goldAskedFake[annotator] += 1
          if drewIt[entry] { goldDrewFake[annotator] += 1 }
        }
      }
      let own = drawerStarts[cluster]..<drawerStarts[cluster + 1]
      if !real, !own.isEmpty {
        goldFakes += 1
        for entry in own { goldOriginated[drawers[entry]] += 1 / Double(own.count) }
      }
    }
    let fromGold = goldAsked.map { $0 >= Self.minimumGoldObjects }
    // Where annotators have drawn: the false-shape shares come from gold only when everyone who
    // drew anything has a gold model (shares are split among them, so they cannot be mixed).
    let everyoneGold = (0..<count).allSatisfy { annotator in
      fromGold[annotator] || !drawers.contains(annotator)
    }
    var sensitivity = [Double](repeating: 0.5, count: count)
    var origin = [Double](repeating: 1 / Double(max(1, count)), count: count)
    var coincidence = 0.05
    var prior = 0.5
    var iterations = 0
    var logDrew = [Double](repeating: 0, count: count)
    var logMissed = [Double](repeating: 0, count: count)
    while iterations < maxIterations {
      iterations += 1
      // M step.
      var drewReal = [Double](repeating: 0, count: count)
      var askedReal = [Double](repeating: 0, count: count)
      var originated = [Double](repeating: 0, count: count)
      var fakeTotal = 0.0
      var extraDrawers = 0.0
      var extraChances = 0.0
      for cluster in 0..<clusterCount {
        let real = posterior[cluster]
        let observed = starts[cluster]..<starts[cluster + 1]
        for entry in observed {
          askedReal[annotatorOf[entry]] += real
          if drewIt[entry] { drewReal[annotatorOf[entry]] += real }
        }
        let fake = 1 - real
        let own = drawerStarts[cluster]..<drawerStarts[cluster + 1]
        guard !own.isEmpty else { continue }
        fakeTotal += fake
        var weight = 0.0
        for entry in own { weight += origin[drawers[entry]] }
        for entry in own {
          let annotator = drawers[entry]
          originated[annotator] += fake * (weight > 0 ? origin[annotator] / weight : 1 / Double(own.count))
        }
        extraDrawers += fake * Double(own.count - 1)
        extraChances += fake * Double(max(0, observed.count - 1))
      }
      for annotator in 0..<count {
        sensitivity[annotator] =
          fromGold[annotator]
          ? clamp((goldDrew[annotator] + 1) / (goldAsked[annotator] + 2))
          : clamp((drewReal[annotator] + 1) / (askedReal[annotator] + 2))
        origin[annotator] =
          everyoneGold && goldFakes > 0
          ? (goldOriginated[annotator] + 0.5) / (goldFakes + 0.5 * Double(count))
          : (originated[annotator] + 0.5) / (fakeTotal + 0.5 * Double(count))
        logDrew[annotator] = log(sensitivity[annotator])
        logMissed[annotator] = log(1 - sensitivity[annotator])
      }
      // A prior of 1% (worth five chances) keeps a handful of clusters from talking EM into
      // "everyone made up the same shape". The cap at 1% keeps it from the degenerate optimum of
      // a small panel: with three annotators, objects drawn by the two weaker ones alone are as
      // well explained by "they made up the same shape" as by "the careful one missed it", and
      // the maximum-likelihood fit took the first (the careful annotator's sensitivity 0.99, the
      // others' shared shapes rejected, her own lone shapes taken for made-up ones: the
      // consensus was a subset of her layer). Two annotators inventing the same object to an
      // IoU of 0.5 is rare; at most 1 in 100 chances is already generous.
      coincidence = min(Self.maximumCoincidence, max(1e-4, (extraDrawers + 0.05) / (extraChances + 5)))
      prior = clamp((posterior.reduce(0, +) + 1) / (Double(clusterCount) + 2))
      // E step, in log-odds. A cluster's update reads only the parameters above, so parts of
      // the clusters are updated on separate cores; the largest change is the same in any order.
      let logPrior = log(prior / (1 - prior))
      let logCoincidence = log(coincidence)
      let logNoCoincidence = log(1 - coincidence)
      let parts = clusterCount < 4096 ? 1 : 4 * ProcessInfo.processInfo.activeProcessorCount
      let partSize = (clusterCount + parts - 1) / parts
      let changes = posterior.withUnsafeMutableBufferPointer { buffer in
        let shared = SharedPosterior(values: buffer)
        return Parallel.map(0..<parts) { [logDrew, logMissed, origin] part -> Double in
          var change = 0.0
          for cluster in (part * partSize)..<min(clusterCount, (part + 1) * partSize) {
            let own = drawerStarts[cluster]..<drawerStarts[cluster + 1]
            guard !own.isEmpty, known[cluster].isNaN else { continue }
            let observed = starts[cluster]..<starts[cluster + 1]
            var logReal = 0.0
            for entry in observed {
              logReal += drewIt[entry] ? logDrew[annotatorOf[entry]] : logMissed[annotatorOf[entry]]
            }
            var originShare = 0.0
            for entry in own { originShare += origin[drawers[entry]] }
            let logFake =
              log(originShare) + Double(own.count - 1) * logCoincidence
              + Double(observed.count - own.count) * logNoCoincidence
            let updated = 1 / (1 + exp(-(logPrior + logReal - logFake)))
            change = max(change, abs(updated - shared.values[cluster]))
            shared.values[cluster] = updated
          }
          return change
        }
      }
      let change = changes.reduce(0.0) { max($0, $1) }
      if change < 1e-7 { break }
    }
    var drewFake = [Double](repeating: 0, count: count)
    var askedFake = [Double](repeating: 0, count: count)
    var drewReal = [Double](repeating: 0, count: count)
    var drew = [Double](repeating: 0, count: count)
    for cluster in 0..<clusterCount {
      for entry in starts[cluster]..<starts[cluster + 1] {
        let annotator = annotatorOf[entry]
        askedFake[annotator] += 1 - posterior[cluster]
        if drewIt[entry] {
          drewFake[annotator] += 1 - posterior[cluster]
          drewReal[annotator] += posterior[cluster]
          drew[annotator] += 1
        }
      }
    }
    self.posterior = posterior
    self.sensitivity = sensitivity
    self.falsePositiveRate = (0..<count).map {
      fromGold[$0]
        ? clamp((goldDrewFake[$0] + 1) / (goldAskedFake[$0] + 2))
        : clamp((drewFake[$0] + 1) / (askedFake[$0] + 2))
    }
    self.fromGold = fromGold
    self.precision = (0..<count).map { (drewReal[$0] + 1) / (drew[$0] + 2) }
    self.prior = prior
    self.iterations = iterations
  }

  /// The largest share of the chances at which another annotator draws a made-up shape too.
  static let maximumCoincidence = 0.01

  /// Gold objects an annotator must have been asked about for their model to come from gold.
  static let minimumGoldObjects = 5.0

  /// How far a shape drawn by `annotator` can be trusted: the share of their shapes judged real.
  public func reliability(_ annotator: Int) -> Double { precision[annotator] }
}

/// The posteriors, written by the parts of one E step: each part writes only its own clusters.
private struct SharedPosterior: @unchecked Sendable {
  let values: UnsafeMutableBufferPointer<Double>
}
