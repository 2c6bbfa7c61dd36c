import Foundation
import Hummingbird
import RemoraSimulator

/// A small JSON writer: the stub assembles responses from raw trade rows and computed fields,
/// so it writes bytes directly instead of going through `Encodable`.
struct JSONWriter {
    var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false  // the value follows without a comma
    }

    mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    mutating func number(_ value: Double) {
        separate()
        bytes.append(contentsOf: Self.format(value).utf8)
    }

    mutating func integer(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// An already-encoded JSON value.
    mutating func raw(_ json: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    /// A raw trade row with extra keys spliced in after its `{` (activity rows).
    mutating func rawObject(prefixing fields: String, row: [UInt8]) {
        separate()
        guard let brace = row.firstIndex(of: UInt8(ascii: "{")) else {
            bytes.append(contentsOf: row)
            return
        }
        bytes.append(contentsOf: row[...brace])
        bytes.append(contentsOf: fields.utf8)
        let rest = row[(brace + 1)...]
        if let next = rest.first(where: { $0 != UInt8(ascii: " ") }), next != UInt8(ascii: "}") {
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(contentsOf: rest)
    }

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, _ value: Double) {
        key(name)
        number(value)
    }

    mutating func field(_ name: String, _ value: Int64) {
        key(name)
        integer(value)
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20: bytes.append(contentsOf: String(format: "\\u%04x", byte).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whole numbers without a fraction ("5", not "5.0"), as the real APIs write them.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension Response {
    /// A JSON body with the real APIs' content type.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static var emptyList: Response { .json(Array("[]".utf8)) }

    /// `{"error": message}`: the shape every Polymarket API uses for errors.
    static func jsonError(_ message: String, status: HTTPResponse.Status) -> Response {
        var writer = JSONWriter(capacity: 64)
        writer.beginObject()
        writer.field("error", message)
        writer.endObject()
        return .json(writer.bytes, status: status)
    }

    /// A Gamma object (or list of them) through `JSONSerialization`.
    static func json(object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return .json([UInt8](data))
    }
}

/// A request the stub refuses: answered as `{"error": message}` with `status`.
struct StubError: Error {
    let status: HTTPResponse.Status
    let message: String

    static func badRequest(_ message: String) -> StubError { StubError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> StubError { StubError(status: .notFound, message: message) }

    var response: Response { .jsonError(message, status: status) }
}

/// Typed access to query parameters; a malformed value is a 400, as on the real APIs.
struct Query {
    let parameters: [(key: Substring, value: Substring)]

    init(_ request: Request) {
        parameters = request.uri.queryParameters.map { ($0.key, $0.value) }
    }

    func string(_ name: String) -> String? {
        parameters.last { $0.key == name[...] }.map { String($0.value) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Every value of a repeatable parameter, comma-separated values split.
    func list(_ name: String) -> [String] {
        parameters.filter { $0.key == name[...] }
            .flatMap { $0.value.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    func required(_ name: String) throws -> String {
        guard let value = string(name) else { throw StubError.badRequest("missing required parameter '\(name)'") }
        return value
    }

    func integer(_ name: String) throws -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text) else { throw StubError.badRequest("invalid '\(name)': \(text)") }
        return value
    }

    func number(_ name: String) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite else { throw StubError.badRequest("invalid '\(name)': \(text)") }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = string(name)?.lowercased() else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw StubError.badRequest("invalid '\(name)': \(text)")
        }
    }

    /// `limit`: default when absent, clamped to `maximum` (the real APIs clamp rather than refuse).
    func limit(default defaultValue: Int, maximum: Int) throws -> Int {
        guard let value = try integer("limit") else { return defaultValue }
        guard value >= 0 else { throw StubError.badRequest("invalid 'limit': \(value)") }
        return Int(min(value, Int64(maximum)))
    }

    /// `offset`, refused beyond `cap` with the Data API's message (clients match on it).
    func offset(cap: Int, message: String? = nil) throws -> Int {
        guard let value = try integer("offset") else { return 0 }
        guard value >= 0 else { throw StubError.badRequest("invalid 'offset': \(value)") }
        guard value <= cap else {
            throw StubError.badRequest(message ?? "max historical activity offset of \(cap) exceeded")
        }
        return Int(value)
    }

    /// An upper-case enumeration value (`side=buy` is accepted as BUY).
    func choice(_ name: String, in allowed: [String]) throws -> String? {
        guard let text = string(name)?.uppercased() else { return nil }
        guard allowed.contains(text) else {
            throw StubError.badRequest("invalid '\(name)': \(text), expected one of \(allowed.joined(separator: ", "))")
        }
        return text
    }
}

/// A page of `items` from `offset`.
func page<T>(_ items: [T], offset: Int, limit: Int) -> ArraySlice<T> {
    let start = min(offset, items.count)
    return items[start..<min(items.count, start + limit)]
}

/// A stable 64-bit hash of text (FNV-1a): book hashes and synthetic transaction hashes must be
/// the same on every run, which `Hasher` (seeded per process) is not.
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}

/// `digits` lowercase hex digits derived from `text`.
func stableHex(_ text: String, digits: Int) -> String {
    var generator = SplitMix64(seed: stableHash(text))
    return generator.nextHex(digits: digits)
}
