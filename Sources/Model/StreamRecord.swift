import Foundation


/// A message about to be appended to a stream (its `seq` is not known until commit).
public struct StreamRecord: Sendable, Hashable {
    public var stream: StreamName
    /// Natural key of the effect; appending the same uid twice stores it once.
    public var uid: String
    /// Partitioning key (wallet for trades and scores, market for resolutions).
    public var key: String
    public var partition: Int
    public var eventTime: EventTime
    /// The payload as JSON text.
    public var payload: String
    /// For a `trade.settled` record, the settlement the payload encodes: the store then appends it
    /// as typed columns instead of parsing the JSON (see migration 0017).
    public var settlement: TradeSettlement?

    public init(stream: StreamName, uid: String, key: String, eventTime: EventTime, payload: String) {
        self.stream = stream
        self.uid = uid
        self.key = key
        self.partition = Partitioner.partition(of: key)
        self.eventTime = eventTime
        self.payload = payload
    }

    /// A `trade.settled` record of a settlement: its canonical JSON as payload, and the settlement
    /// itself for the typed append.
    public init(settled settlement: TradeSettlement) {
        self.init(
            stream: .tradeSettled, uid: settlement.tradeId, key: settlement.wallet.rawValue, eventTime: settlement.settledAt,
            payload: settlement.canonicalJSON)
        self.settlement = settlement
    }

    /// Encodes `payload` with the bus's canonical JSON encoder.
    public init<P: Encodable>(stream: StreamName, uid: String, key: String, eventTime: EventTime, payload: P) throws {
        // Hot payloads write their canonical JSON by hand (same bytes as the encoder, a tenth of the time).
        let text: String
        if let canonical = payload as? any CanonicalJSON {
            text = canonical.canonicalJSON
        } else {
            text = String(decoding: try JSONCoding.encoder.encode(payload), as: UTF8.self)
        }
        self.init(stream: stream, uid: uid, key: key, eventTime: eventTime, payload: text)
    }
}

/// A message as stored: a stream row with its position.
public struct StoredMessage: Sendable, Hashable {
    public var stream: StreamName
    public var partition: Int
    public var seq: Int64
    public var uid: String
    public var key: String
    public var eventTime: EventTime
    public var producedAt: EventTime
    public var payload: String

    public init(
        stream: StreamName, partition: Int, seq: Int64, uid: String, key: String, eventTime: EventTime,
        producedAt: EventTime, payload: String
    ) {
        self.stream = stream
        self.partition = partition
        self.seq = seq
        self.uid = uid
        self.key = key
        self.eventTime = eventTime
        self.producedAt = producedAt
        self.payload = payload
    }

    /// The envelope JSON that goes on the wire. Built by concatenation: the payload is already
    /// JSON, so it is not decoded and re-encoded on the hot path.
    public var envelopeJSON: [UInt8] {
        var json = JSONBytes(capacity: payload.utf8.count + key.utf8.count + 160)
        json.raw("{\"schema\":\"")
        json.raw(stream.schema)
        json.raw("\",\"stream\":\"")
        json.raw(stream.rawValue)
        json.raw("\",\"partition\":")
        json.integer(Int64(partition))
        json.raw(",\"seq\":")
        json.integer(seq)
        json.raw(",\"key\":")
        json.quoted(key)
        json.raw(",\"eventTime\":")
        json.integer(eventTime.millis)
        json.raw(",\"producedAt\":")
        json.integer(producedAt.millis)
        json.raw(",\"payload\":")
        json.raw(payload)
        json.raw("}")
        return json.bytes
    }

    /// Decodes the payload into a typed value.
    public func decodePayload<P: Decodable>(as type: P.Type) throws -> P {
        try JSONCoding.decoder.decode(P.self, from: Data(payload.utf8))
    }
}

/// The canonical JSON coders of Remora (sorted keys, so the same value gives the same bytes).
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
    public static var decoder: JSONDecoder { JSONDecoder() }

    /// A byte that a JSON string literal holds as it is.
    @inline(__always) static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// A JSON string literal for `text` (as the canonical encoder writes it: `/` unescaped).
    public static func quoted(_ text: String) -> String {
        let utf8 = text.utf8
        // Most texts (addresses, ids, titles) need no escape: copy them whole. The scan runs over the
        // string's contiguous bytes when it has them (a native string does): iterating the UTF8View
        // was the resolver's hottest function.
        if utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(isPlain) }) ?? utf8.allSatisfy(isPlain) {
            return "\"" + text + "\""
        }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(utf8.count + 8)
        let hex = Array("0123456789abcdef".utf8)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case ..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}

/// A payload that writes its own canonical JSON (sorted keys, unescaped slashes), byte for byte
/// what `JSONCoding.encoder` would write; a test holds the two together.
public protocol CanonicalJSON {
    var canonicalJSON: String { get }
}
