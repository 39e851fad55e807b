import Synchronization

/// snake_case column ⇄ camelCase property, the one naming rule of every backend, each name
/// converted once: GRDB's own conversion splits and joins strings for every column of every row, which was most of a lease's time.
public enum ColumnNames {
  public struct Key: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
  }

  private static let properties = Mutex<[String: String]>([:])
  private static let columns = Mutex<[String: String]>([:])

  public static func property(_ column: String) -> String {
    if let known = properties.withLock({ $0[column] }) { return known }
    var result = ""
    var upperNext = false
    for character in column {
      if character == "_" {
        upperNext = !result.isEmpty
      } else {
        result.append(upperNext ? Character(character.uppercased()) : character)
        upperNext = false
      }
    }
    properties.withLock { $0[column] = result }
    return result
  }

  public static func column(_ property: String) -> String {
    if let known = columns.withLock({ $0[property] }) { return known }
    var result = ""
    for character in property {
      if character.isUppercase {
        if !result.isEmpty { result.append("_") }
        result.append(contentsOf: character.lowercased())
      } else {
        result.append(character)
      }
    }
    columns.withLock { $0[property] = result }
    return result
  }
}
