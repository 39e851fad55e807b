import Foundation
import SwathGeometry
import SwathSimulation
import SwathStore

/// Train/val/test by spatial blocks: the chips' grid (row and column from their pixel offsets
/// and the task's stride) is cut into blocks of `blockSize` × `blockSize` chips, the blocks are
/// shuffled with a seeded generator and dealt out so that each split gets about its fraction of
/// the chips. A block goes to one split whole, so neighbouring chips that show the same objects
/// stay on the same side (only chips on a block's edge share their overlap with another block).
struct TrainingSplit: Sendable {
  struct Block: Hashable, Sendable, Comparable {
    var row: Int
    var col: Int
    var id: String { "b\(row)_\(col)" }
    static func < (a: Block, b: Block) -> Bool { (a.row, a.col) < (b.row, b.col) }
  }

  let stride: Int
  let blockSize: Int
  let seed: UInt64
  let fractions: [TrainingExport.Split: Double]
  private let assignment: [Block: TrainingExport.Split]
  var blockCount: Int { assignment.count }

  init(
    chips: [ChipRecord], chipSize: Int, overlap: Int, blockSize: Int,
    fractions: [TrainingExport.Split: Double], seed: UInt64
  ) {
    stride = max(1, chipSize - overlap)
    self.blockSize = blockSize
    self.seed = seed
    self.fractions = fractions
    var sizes: [Block: Int] = [:]
    for chip in chips { sizes[Self.block(of: chip, stride: stride, blockSize: blockSize), default: 0] += 1 }
    var blocks = sizes.keys.sorted()
    var random = SeededRandom(seed: seed)
    blocks.shuffle(using: &random)
    let total = Double(max(1, chips.count))
    let trainEnd = fractions[.train] ?? 0
    let valEnd = trainEnd + (fractions[.val] ?? 0)
    var assignment: [Block: TrainingExport.Split] = [:]
    var before = 0
    for block in blocks {
      let size = sizes[block]!
      // Where the block's middle falls on the line of all chips, in dealing order.
      let position = (Double(before) + Double(size) / 2) / total
      assignment[block] = position < trainEnd ? .train : (position < valEnd ? .val : .test)
      before += size
    }
    self.assignment = assignment
  }

  static func block(of chip: ChipRecord, stride: Int, blockSize: Int) -> Block {
    let row = Int((Double(chip.rowOffset) / Double(stride)).rounded())
    let col = Int((Double(chip.columnOffset) / Double(stride)).rounded())
    return Block(row: row / blockSize, col: col / blockSize)
  }

  func block(of chip: ChipRecord) -> Block { Self.block(of: chip, stride: stride, blockSize: blockSize) }

  func split(of chip: ChipRecord) -> TrainingExport.Split { assignment[block(of: chip)] ?? .train }

  /// `splits.json`: how the chips were split, block by block, and what each split holds.
  func record(_ chips: [TrainingChip], options: TrainingExport.Options) -> JSONValue {
    var members: [Block: [TrainingChip]] = [:]
    for chip in chips { members[chip.block, default: []].append(chip) }
    let blocks = members.keys.sorted().map { block -> JSONValue in
      .object([
        "id": .string(block.id), "row": .integer(Int64(block.row)), "col": .integer(Int64(block.col)),
        "split": .string(assignment[block]?.rawValue ?? "train"),
        "chips": .array(members[block]!.map { .string($0.key) }),
      ])
    }
    var splits: [String: JSONValue] = [:]
    for split in TrainingExport.Split.allCases {
      let inSplit = chips.filter { $0.split == split }
      splits[split.rawValue] = .object([
        "fraction": .number(fractions[split] ?? 0),
        "blocks": .integer(Int64(Set(inSplit.map(\.block)).count)),
        "chips": .integer(Int64(inSplit.count)),
        "annotations": .integer(Int64(inSplit.reduce(0) { $0 + $1.objects.count })),
      ])
    }
    return .object([
      "method": .string("spatial blocks of chips, shuffled with a seed, dealt out by chip count"),
      "seed": .integer(Int64(bitPattern: seed)),
      "block_size": .integer(Int64(blockSize)),
      "grid_stride_px": .integer(Int64(stride)),
      "splits": .object(splits),
      "blocks": .array(blocks),
    ])
  }
}
