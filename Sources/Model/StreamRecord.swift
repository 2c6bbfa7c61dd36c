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

    public init(stream: StreamName, uid: String, key: String, eventTime: EventTime, payload: String) {
        self.stream = stream
        self.uid = uid
        self.key = key
        self.partition = Partitioner.partition(of: key)
        self.eventTime = eventTime
        self.payload = payload
    }

    /// Encodes `payload` with the bus's canonical JSON encoder.
    public init<P: Encodable>(stream: StreamName, uid: String, key: String, eventTime: EventTime, payload: P) throws {
        self.init(
            stream: stream, uid: uid, key: key, eventTime: eventTime,
            payload: String(decoding: try JSONCoding.encoder.encode(payload), as: UTF8.self))
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
        var text = "{\"schema\":\"\(stream.schema)\",\"stream\":\"\(stream.rawValue)\",\"partition\":\(partition)"
        text += ",\"seq\":\(seq),\"key\":\(JSONCoding.quoted(key)),\"eventTime\":\(eventTime.millis)"
        text += ",\"producedAt\":\(producedAt.millis),\"payload\":\(payload)}"
        return Array(text.utf8)
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

    /// A JSON string literal for `text`.
    public static func quoted(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}
