import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

extension Role: ExpressibleByArgument {}

struct UserCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user",
    abstract: "Add, list and disable users, and issue their tokens.",
    discussion: """
      Every user has a role (annotator, reviewer, analyst or admin) and a bearer token for the HTTP API. A token is printed once, when it is issued; the workspace keeps only its SHA-256. Running `swath` on the workspace's machine acts as a local admin, audited under your login name.

      Examples:
        swath user add ana --role annotator
        swath user token ana          # a new token; the old one stops working
        swath user disable ana
      """,
    subcommands: [UserAddCommand.self, UserListCommand.self, UserDisableCommand.self, UserTokenCommand.self])
}

struct UserAddCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add", abstract: "Register a user and print their token (shown only this once).")

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The user name (letters, digits, '-', '_', '.', '@').")
  var name: String

  @Option(help: "annotator, reviewer, analyst or admin.")
  var role: Role

  func run() throws {
    let workspace = try self.workspace.open()
    let issued = try workflowCall { try workspace.addUser(name, role: role, by: processCaller) }
    FileHandle.standardError.write(
      Data(
        "swath: added \(issued.user.role.rawValue) '\(issued.user.name)'; the token below is shown once\n"
          .utf8))
    print(issued.token)
  }
}

struct UserListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List users and their roles.")

  @OptionGroup var workspace: WorkspaceOption

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  struct Entry: Encodable {
    var name: String
    var role: String
    var disabled: Bool
    var created_at: String
    var token_issued_at: String
  }

  func run() throws {
    let workspace = try self.workspace.open()
    let users = try workflowCall { try workspace.users(by: processCaller) }
    if json {
      return try printJSON(
        users.map {
          Entry(
            name: $0.name, role: $0.role.rawValue, disabled: $0.disabled, created_at: $0.createdAt,
            token_issued_at: $0.tokenIssuedAt)
        })
    }
    if users.isEmpty { return print("no users (swath user add NAME --role ROLE)") }
    for user in users {
      print(
        "\(user.name)\t\(user.role.rawValue)\t\(user.disabled ? "disabled" : "active")\ttoken issued \(user.tokenIssuedAt)"
      )
    }
  }
}

struct UserDisableCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disable", abstract: "Disable a user: their token stops working; their work stays.")

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The user name.")
  var name: String

  func run() throws {
    let workspace = try self.workspace.open()
    let user = try workflowCall { try workspace.disableUser(name, by: processCaller) }
    print("disabled \(user.role.rawValue) '\(user.name)'")
  }
}

struct UserTokenCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "token", abstract: "Issue a new token for a user; the old one stops working.")

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The user name.")
  var name: String

  func run() throws {
    let workspace = try self.workspace.open()
    let issued = try workflowCall { try workspace.rotateToken(of: name, by: processCaller) }
    FileHandle.standardError.write(
      Data("swath: new token for '\(issued.user.name)'; the old one no longer works\n".utf8))
    print(issued.token)
  }
}
