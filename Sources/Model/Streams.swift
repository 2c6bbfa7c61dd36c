/// Every stream on the bus. A stream is also a PostgreSQL table with a per-partition `seq`,
/// and its messages travel on ZeroMQ topics `<stream>.<partition>` (partition zero-padded to two
/// digits so that no partition's topic is a prefix of another's).
public enum StreamName: String, Sendable, Codable, CaseIterable, Hashable {
    case trade = "trade"
    case marketResolved = "market.resolved"
    case tradeSettled = "trade.settled"
    case whaleScore = "whale.score"
    case signal = "signal"
    case orderProposed = "order.proposed"
    case orderDecided = "order.decided"
    case alert = "alert"

    /// Fixed partition count of every stream. Changing it re-keys everything: it is part of the format.
    public static let partitionCount = 16

    /// The JSON Schema id of this stream's current message version (`schemas/messages/<schema>.json`).
    public var schema: String { rawValue + ".v1" }

    /// The topic frame of one partition.
    public func topic(partition: Int) -> String {
        partition < 10 ? "\(rawValue).0\(partition)" : "\(rawValue).\(partition)"
    }

    /// Parses a topic frame back into stream and partition.
    public static func parse(topic: String) -> (StreamName, Int)? {
        guard let dot = topic.lastIndex(of: "."),
            let stream = StreamName(rawValue: String(topic[..<dot])),
            let partition = Int(topic[topic.index(after: dot)...]),
            (0..<partitionCount).contains(partition)
        else { return nil }
        return (stream, partition)
    }
}

/// Stable partitioning: FNV-1a 64 of the key's UTF-8 bytes, modulo the partition count.
/// Stable across processes, machines and releases (unlike `Hasher`, which is seeded per process).
public enum Partitioner {
    public static func partition(of key: String, count: Int = StreamName.partitionCount) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }
}
