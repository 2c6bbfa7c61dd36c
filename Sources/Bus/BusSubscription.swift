import Foundation
public import RemoraModel

public import ZeroMQ

/// A live subscription to some partitions of some streams. Messages are parsed into
/// `StoredMessage` form (header + raw payload JSON) so that live and catch-up paths are one path.
public final class BusSubscription: Sendable {
    private let subscriber: ZMQSubscriber

    public init(context: ZMQContext, endpoints: BusEndpoints, streams: [StreamName], partitions: [Int]) throws {
        let prefixes = streams.flatMap { stream in partitions.map { stream.topic(partition: $0) } }
        subscriber = try ZMQSubscriber(
            context: context, endpoints: [endpoints.subscribeEndpoint], prefixes: prefixes, idleTicks: true)
    }

    /// Batches of received messages; an empty batch every quiet 100 ms. A body that does not parse is delivered as `.malformed`
    /// so the consumer can dead-letter it with the raw text.
    public var batches: AsyncMapSequence<ZMQSubscriber.Batches, [BusDelivery]> {
        subscriber.messages.map { batch in batch.map(BusDelivery.init) }
    }

    public func stop() { subscriber.stop() }
}

/// One message off the wire.
public enum BusDelivery: Sendable {
    case message(StoredMessage)
    case malformed(topic: String, raw: String, reason: String)

    init(_ message: ZMQMessage) {
        do {
            self = .message(try EnvelopeParser.parse(message.body))
        } catch {
            self = .malformed(
                topic: message.topic, raw: String(decoding: message.body, as: UTF8.self), reason: "\(error)")
        }
    }
}

/// Parses envelope JSON into header fields plus the payload's raw JSON text.
public enum EnvelopeParser {
    /// Any other layout: the header fields and the payload, each decoded from the whole body.
    struct PayloadField: Decodable {
        var payload: RawJSON
    }

    public static func parse(_ body: [UInt8]) throws -> StoredMessage {
        if let message = parseWithTrailingPayload(body) { return message }
        let data = Data(body)
        let header = try JSONDecoder().decode(HeaderFields.self, from: data)
        guard (0..<StreamName.partitionCount).contains(header.partition) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "partition out of range"))
        }
        return header.message(payload: try JSONDecoder().decode(PayloadField.self, from: data).payload.text)
    }
}

extension EnvelopeParser {
    struct HeaderFields: Decodable {
        var stream: StreamName
        var partition: Int
        var seq: Int64
        var key: String
        var eventTime: EventTime
        var producedAt: EventTime

        func message(payload: String) -> StoredMessage {
            StoredMessage(
                stream: stream, partition: partition, seq: seq, uid: "", key: key, eventTime: eventTime,
                producedAt: producedAt, payload: payload)
        }
    }

    static let payloadMarker = Array(#","payload":"#.utf8)

    /// The layout `StoredMessage.envelopeJSON` writes: the header fields, then the payload, last.
    /// Every consumer parses every message it receives, and decoding the payload into a tree only
    /// to encode it again cost more than the rest of the parse: here the header alone is decoded
    /// and the payload's bytes are kept as they are, after one scan that checks they are exactly
    /// one object. Their typed decode, later, validates them (a copy that fails it sends the
    /// partition to the database path). Anything else returns nil and takes the full parse.
    static func parseWithTrailingPayload(_ body: [UInt8]) -> StoredMessage? {
        // No unescaped quote can occur inside a JSON string, so the first match is the envelope's key.
        guard let markerStart = firstIndex(of: payloadMarker, in: body) else { return nil }
        var end = body.count
        while end > markerStart, isWhitespace(body[end - 1]) { end -= 1 }
        guard end > markerStart, body[end - 1] == UInt8(ascii: "}") else { return nil }
        var payload = body[(markerStart + payloadMarker.count)..<(end - 1)]
        while let first = payload.first, isWhitespace(first) { payload = payload.dropFirst() }
        while let last = payload.last, isWhitespace(last) { payload = payload.dropLast() }
        guard isOneObject(payload) else { return nil }
        guard let header = try? JSONDecoder().decode(HeaderFields.self, from: Data(body[..<markerStart] + [UInt8(ascii: "}")])),
            (0..<StreamName.partitionCount).contains(header.partition)
        else { return nil }
        return header.message(payload: String(decoding: payload, as: UTF8.self))
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// True when `bytes` is `{ … }` whose first brace closes at the last byte (strings honoured).
    static func isOneObject(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.first == UInt8(ascii: "{") else { return false }
        var depth = 0
        var inString = false
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return index == bytes.index(before: bytes.endIndex) }
            default: break
            }
        }
        return false
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}

/// Any JSON value, kept as canonical text (re-encoded once; the payload is small).
struct RawJSON: Decodable {
    let text: String
    init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        text = String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self)
    }
}

/// A minimal JSON tree, used to carry a payload through without knowing its type.
indirect enum JSONValue: Codable {
    case null, bool(Bool), number(Double), integer(Int64), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
