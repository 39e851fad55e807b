import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwathGeometry
import SwathStore
import SwathWorkflow

/// OGC API – Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 3's queryables) under `/ogc`: the
/// final layer of every task the caller may export, read live from the layer rows. Same bearer
/// tokens as the API; the handlers only parse and present, the use cases decide who sees what.
extension SwathAPI {
  static let liveLayerEndpoints: [Endpoint] = [
    Endpoint(method: .get, path: "/ogc", authenticated: true) { request, context, api in
      _ = try context.requireCaller()
      return api.landingPage(request)
    },
    Endpoint(method: .get, path: "/ogc/conformance", authenticated: true) { _, context, _ in
      _ = try context.requireCaller()
      return Bodies.json(.object(["conformsTo": .array(OGC.conformance.map { .string($0) })]))
    },
    Endpoint(method: .get, path: "/ogc/collections", authenticated: true) { request, context, api in
      let layers = try await api.call(context) { try $0.liveLayers(by: $1) }
      let base = api.baseURL(request)
      return Bodies.json(
        .object([
          "links": .array([
            OGC.link(base + "/ogc/collections", "self", "application/json", "The collections"),
            OGC.link(base + "/ogc", "root", "application/json", "The landing page"),
          ]),
          "collections": .array(layers.map { OGC.collection($0, base: base) }),
        ]))
    },
    Endpoint(method: .get, path: "/ogc/collections/{collection}", authenticated: true) {
      request, context, api in
      let name = try context.parameters.require("collection")
      let layer = try await api.call(context) { try $0.liveLayer(name, by: $1) }
      return Bodies.json(OGC.collection(layer, base: api.baseURL(request)))
    },
    Endpoint(method: .get, path: "/ogc/collections/{collection}/queryables", authenticated: true) {
      request, context, api in
      let name = try context.parameters.require("collection")
      let layer = try await api.call(context) { try $0.liveLayer(name, by: $1) }
      let base = api.baseURL(request)
      var headers = HTTPFields()
      headers[.contentType] = "application/schema+json"
      let response = Bodies.json(
        .object([
          "$schema": .string("https://json-schema.org/draft/2020-12/schema"),
          "$id": .string(base + OGC.path(layer.name) + "/queryables"),
          "type": .string("object"),
          "title": .string(layer.name),
          "properties": .object([
            "label": .object([
              "title": .string("Label"), "type": .string("string"),
              "enum": .array(layer.labels.map { .string($0) }),
            ])
          ]),
          "additionalProperties": .bool(false),
        ]))
      return Response(status: .ok, headers: headers, body: response.body)
    },
    Endpoint(method: .get, path: "/ogc/collections/{collection}/items", authenticated: true) {
      request, context, api in
      try await api.liveFeatures(request, context)
    },
    Endpoint(method: .get, path: "/ogc/collections/{collection}/items/{featureId}", authenticated: true) {
      request, context, api in
      let name = try context.parameters.require("collection")
      let id = try context.parameters.require("featureId")
      let feature = try await api.call(context) { try $0.liveFeature(in: name, id: id, by: $1) }
      let base = api.baseURL(request) + OGC.path(name)
      let links = JSONValue.array([
        OGC.link(base + "/items/" + OGC.escape(id), "self", OGC.geoJSON, "This feature"),
        OGC.link(base, "collection", "application/json", "The collection"),
      ])
      // The stored Feature text is an object: its links go in before the closing brace.
      return OGC.geoJSONResponse(String(feature.dropLast()) + #","links":"# + links.jsonText + "}")
    },
  ]

  /// `GET /ogc/collections/{collection}/items`: a page of features, the next page by a signed
  /// cursor in the `next` link.
  func liveFeatures(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let name = try context.parameters.require("collection")
    let parameters = request.uri.queryParameters
    if let unknown = parameters.map({ String($0.key) }).sorted().first(where: {
      !OGC.itemParameters.contains($0)
    }) {
      throw Problem(
        .invalidRequest,
        "unknown query parameter '\(unknown)' (expected \(OGC.itemParameters.sorted().joined(separator: ", ")))"
      )
    }
    var query = LiveLayer.Query()
    if let text = parameters["bbox"].map(String.init) { query.box = try Self.lonLatBox(text) }
    if let crs = parameters["bbox-crs"].map(String.init), crs != OGC.crs84 {
      throw Problem(.invalidRequest, "bbox-crs '\(crs)': this server takes boxes in \(OGC.crs84) only")
    }
    if let text = parameters["limit"].map(String.init) {
      guard let limit = Int(text), (1...LiveLayer.maxLimit).contains(limit) else {
        throw Problem(
          .invalidRequest, "limit '\(text)': expected a whole number in 1…\(LiveLayer.maxLimit)")
      }
      query.limit = limit
    }
    if let text = parameters["datetime"].map(String.init) {
      (query.updatedFrom, query.updatedUntil) = try OGC.interval(text)
    }
    query.label = parameters["label"].map(String.init)
    query.cursor = parameters["cursor"].map(String.init)
    let page = try await call(context) { [query] in try $0.liveFeatures(in: name, query, by: $1) }

    let base = baseURL(request) + OGC.path(name)
    var kept = parameters.filter { $0.key != "cursor" }.map { (String($0.key), String($0.value)) }
    kept.sort { $0.0 < $1.0 }
    func itemsURL(_ pairs: [(String, String)]) -> String {
      base + "/items"
        + (pairs.isEmpty ? "" : "?" + pairs.map { "\($0)=\(OGC.escape($1))" }.joined(separator: "&"))
    }
    var links: [JSONValue] = [
      OGC.link(
        itemsURL(parameters.map { (String($0.key), String($0.value)) }), "self", OGC.geoJSON, "This page"),
      OGC.link(base, "collection", "application/json", "The collection"),
    ]
    if let next = page.next {
      links.append(OGC.link(itemsURL(kept + [("cursor", next)]), "next", OGC.geoJSON, "The next page"))
    }
    var members: [String: JSONValue] = [
      "type": .string("FeatureCollection"),
      "numberReturned": .integer(Int64(page.features.count)),
      "timeStamp": .string(Timestamp.now()),
      "links": .array(links),
    ]
    if let matched = page.matched { members["numberMatched"] = .integer(Int64(matched)) }
    let head = JSONValue.object(members).jsonText
    // The stored Feature texts are joined as they are: nothing is decoded or encoded again.
    var body = String(head.dropLast())
    body.reserveCapacity(body.utf8.count + page.features.reduce(32) { $0 + $1.utf8.count + 1 })
    body += #","features":["#
    body += page.features.joined(separator: ",")
    body += "]}"
    return OGC.geoJSONResponse(body)
  }

  func landingPage(_ request: Request) -> Response {
    let base = baseURL(request)
    return Bodies.json(
      .object([
        "title": .string("Swath final layers"),
        "description": .string(
          "The final layer of each task (consensus with the review decisions applied, accepted objects) as OGC API – Features"
        ),
        "links": .array([
          OGC.link(base + "/ogc", "self", "application/json", "This document"),
          OGC.link(
            base + "/api/v1/openapi.yaml", "service-desc", "application/vnd.oai.openapi;version=3.0",
            "The API definition"),
          OGC.link(base + "/ogc/conformance", "conformance", "application/json", "Conformance classes"),
          OGC.link(base + "/ogc/collections", "data", "application/json", "The collections"),
        ]),
      ]))
  }

  /// The server's address as the client reached it (`Host`), for absolute links.
  func baseURL(_ request: Request) -> String {
    let scheme =
      options.trustForwardedFor
      ? (request.headers[HTTPField.Name("X-Forwarded-Proto")!] ?? "http") : "http"
    let host = request.head.authority ?? "\(options.host):\(options.port)"
    return "\(scheme)://\(host)"
  }
}

/// The pieces of OGC API – Features documents.
enum OGC {
  static let geoJSON = "application/geo+json"
  static let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
  static let conformance = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
  ]
  /// The query parameters of `/items`; any other is refused.
  static let itemParameters: Set<String> = ["bbox", "bbox-crs", "limit", "datetime", "label", "cursor"]

  static func link(_ href: String, _ rel: String, _ type: String, _ title: String) -> JSONValue {
    .object(["href": .string(href), "rel": .string(rel), "type": .string(type), "title": .string(title)])
  }

  static func path(_ collection: String) -> String { "/ogc/collections/" + escape(collection) }

  static func escape(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
  }

  static func collection(_ layer: LiveLayer.Collection, base: String) -> JSONValue {
    let url = base + path(layer.name)
    var members: [String: JSONValue] = [
      "id": .string(layer.name),
      "title": .string(layer.name),
      "description": .string(
        "The final layer of task '\(layer.name)': consensus run #\(layer.run) with the review decisions applied, its \(layer.count) accepted objects"
      ),
      "itemType": .string("feature"),
      "crs": .array([.string(crs84)]),
      "links": .array([
        link(url, "self", "application/json", "This collection"),
        link(url + "/items", "items", geoJSON, "The features"),
        link(
          url + "/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
          "The queryable properties"),
      ]),
    ]
    var extent: [String: JSONValue] = [:]
    if let box = layer.box {
      extent["spatial"] = .object([
        "bbox": .array([.array([box.minLon, box.minLat, box.maxLon, box.maxLat].map { .number($0) })]),
        "crs": .string(crs84),
      ])
    }
    if let first = layer.firstUpdate, let last = layer.lastUpdate {
      extent["temporal"] = .object([
        "interval": .array([.array([.string(first), .string(last)])]),
        "trs": .string("http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"),
      ])
    }
    if !extent.isEmpty { members["extent"] = .object(extent) }
    return .object(members)
  }

  /// `datetime`: an RFC 3339 instant, or an interval `START/END` with `..` or nothing for an
  /// open end; the store's timestamps of its ends.
  static func interval(_ text: String) throws -> (String?, String?) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    func end(_ part: String) throws -> String? {
      part.isEmpty || part == ".." ? nil : try timestamp(part)
    }
    switch parts.count {
    case 1:
      let instant = try timestamp(text)
      return (instant, instant)
    case 2:
      let (from, until) = (try end(parts[0]), try end(parts[1]))
      guard from != nil || until != nil else {
        throw Problem(
          .invalidRequest, "datetime '\(text)': at least one end of the interval must be a date-time")
      }
      if let from, let until, from > until {
        throw Problem(.invalidRequest, "datetime '\(text)': the interval ends before it starts")
      }
      return (from, until)
    default:
      throw Problem(
        .invalidRequest,
        "datetime '\(text)': expected a date-time or an interval START/END (.. for an open end)")
    }
  }

  /// An RFC 3339 date-time as the store's text, to the millisecond the store keeps. The fraction
  /// is carried over as digits: through a binary fraction of a second .123 could become .122.
  static func timestamp(_ text: String) throws -> String {
    var whole = text
    var milliseconds = "000"
    if let fraction = text.range(of: #"\.[0-9]+"#, options: .regularExpression) {
      milliseconds = String((text[fraction].dropFirst() + "000").prefix(3))
      whole.removeSubrange(fraction)
    }
    guard let date = try? Date.ISO8601FormatStyle().parse(whole) else {
      throw Problem(
        .invalidRequest, "datetime '\(text)': expected an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z")
    }
    return String(Timestamp.string(from: date).dropLast(4)) + milliseconds + "Z"
  }

  static func geoJSONResponse(_ text: String) -> Response {
    Response(
      status: .ok, headers: [.contentType: geoJSON], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
  }
}
