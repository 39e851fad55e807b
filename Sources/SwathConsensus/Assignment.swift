/// Optimal one-to-one assignment (the Hungarian method, O(n²m)).
public enum Assignment {
  /// Pairs rows with columns to maximise first the number of pairs whose weight is present,
  /// then the sum of their weights. `weights[row][column]` is nil where a pair is not allowed.
  /// Returns, for each row, its column or nil.
  public static func maximize(_ weights: [[Double?]]) -> [Int?] {
    let rows = weights.count
    guard rows > 0 else { return [] }
    let columns = weights[0].count
    guard columns > 0 else { return Array(repeating: nil, count: rows) }
    // Each allowed pair earns `bonus` + weight: the bonus outweighs any sum of weights,
    // so more pairs always win, and among equally many pairs the heavier set wins.
    var maxWeight = 0.0
    for row in weights { for case let weight? in row { maxWeight = max(maxWeight, abs(weight)) } }
    let bonus = (maxWeight + 1) * Double(min(rows, columns) + 1)
    let transpose = rows > columns
    let n = transpose ? columns : rows
    let m = transpose ? rows : columns
    // Costs to minimise; a forbidden pair costs as much as leaving both unmatched.
    var cost = [Double](repeating: 0, count: n * m)
    for i in 0..<n {
      for j in 0..<m {
        let weight = transpose ? weights[j][i] : weights[i][j]
        cost[i * m + j] = weight.map { -(bonus + $0) } ?? 0
      }
    }
    let match = solve(cost: cost, n: n, m: m)  // column of each of the n rows
    var result = [Int?](repeating: nil, count: rows)
    for i in 0..<n {
      let j = match[i]
      let allowed = transpose ? weights[j][i] != nil : weights[i][j] != nil
      guard allowed else { continue }
      if transpose { result[j] = i } else { result[i] = j }
    }
    return result
  }

  /// As `maximize`, for sparse candidate pairs: each connected block of pairs is solved on its
  /// own, so a scene-sized problem costs what its small neighbourhoods cost.
  public static func sparse(rows: Int, columns: Int, edges: [(row: Int, column: Int, weight: Double)])
    -> [Int?]
  {
    var result = [Int?](repeating: nil, count: rows)
    guard !edges.isEmpty else { return result }
    // Rows are 0..<rows, columns rows..<rows+columns in one union–find.
    var sets = DisjointSets(rows + columns)
    for edge in edges { sets.union(edge.row, rows + edge.column) }
    var byBlock: [Int: [(row: Int, column: Int, weight: Double)]] = [:]
    for edge in edges { byBlock[sets.find(edge.row), default: []].append(edge) }
    for block in byBlock.keys.sorted() {
      let blockEdges = byBlock[block]!
      let blockRows = Array(Set(blockEdges.map(\.row))).sorted()
      let blockColumns = Array(Set(blockEdges.map(\.column))).sorted()
      if blockRows.count == 1 && blockColumns.count == 1 {
        result[blockRows[0]] = blockColumns[0]
        continue
      }
      let rowPosition = Dictionary(uniqueKeysWithValues: blockRows.enumerated().map { ($1, $0) })
      let columnPosition = Dictionary(uniqueKeysWithValues: blockColumns.enumerated().map { ($1, $0) })
      var weights = [[Double?]](
        repeating: [Double?](repeating: nil, count: blockColumns.count), count: blockRows.count)
      for edge in blockEdges { weights[rowPosition[edge.row]!][columnPosition[edge.column]!] = edge.weight }
      for (position, column) in maximize(weights).enumerated() {
        if let column { result[blockRows[position]] = blockColumns[column] }
      }
    }
    return result
  }

  /// Minimum-cost assignment of n rows to distinct columns of m ≥ n (potentials method).
  private static func solve(cost: [Double], n: Int, m: Int) -> [Int] {
    let infinity = Double.infinity
    var u = [Double](repeating: 0, count: n + 1)
    var v = [Double](repeating: 0, count: m + 1)
    var p = [Int](repeating: 0, count: m + 1)  // row (1-based) matched to each column
    var way = [Int](repeating: 0, count: m + 1)
    for i in 1...n {
      p[0] = i
      var j0 = 0
      var minv = [Double](repeating: infinity, count: m + 1)
      var used = [Bool](repeating: false, count: m + 1)
      repeat {
        used[j0] = true
        let i0 = p[j0]
        var delta = infinity
        var j1 = 0
        for j in 1...m where !used[j] {
          let current = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j]
          if current < minv[j] {
            minv[j] = current
            way[j] = j0
          }
          if minv[j] < delta {
            delta = minv[j]
            j1 = j
          }
        }
        for j in 0...m {
          if used[j] {
            u[p[j]] += delta
            v[j] -= delta
          } else {
            minv[j] -= delta
          }
        }
        j0 = j1
      } while p[j0] != 0
      repeat {
        let j1 = way[j0]
        p[j0] = p[j1]
        j0 = j1
      } while j0 != 0
    }
    var match = [Int](repeating: 0, count: n)
    for j in 1...m where p[j] != 0 { match[p[j] - 1] = j - 1 }
    return match
  }
}
