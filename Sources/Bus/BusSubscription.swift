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
    struct Header: Decodable {
        var stream: StreamName
        var partition: Int
        var seq: Int64
        var key: String
        var eventTime: EventTime
        var producedAt: EventTime
        var payload: RawJSON
    }

    public static func parse(_ body: [UInt8]) throws -> StoredMessage {
        let header = try JSONDecoder().decode(Header.self, from: Data(body))
        guard (0..<StreamName.partitionCount).contains(header.partition) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "partition out of range"))
        }
        return StoredMessage(
            stream: header.stream, partition: header.partition, seq: header.seq,
            uid: "", key: header.key, eventTime: header.eventTime, producedAt: header.producedAt,
            payload: header.payload.text)
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
