import Crypto
public import Foundation
public import RemoraModel

/// The risk guard's tamper-evident log (docs/risk.md, "Audit chain"): each entry is the canonical
/// JSON of what happened — sorted keys, event-time fields only, so a replay writes the same text —
/// and its hash is SHA-256 over the previous entry's hash, a newline and that text. Editing,
/// deleting or reordering an entry breaks every link after it.
public enum AuditChain {
    /// The "previous hash" of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    public enum Kind: String, Sendable, Hashable, Codable {
        /// A decision on a proposed order (the `order.decided` payload).
        case decision
        /// A change of the book's trading state.
        case tradingState = "trading_state"
        /// An operator's halt or resume, as applied.
        case operatorAction = "operator_action"
        /// A market's resolution applied to the book.
        case resolution
        /// A quarantine or release of a whale the book held copies of (``QuarantineView``).
        case quarantine
    }

    /// One entry: what, when (event time) and the payload, as hashed.
    public struct Entry: Sendable, Hashable {
        public var kind: Kind
        public var eventTime: EventTime
        /// The canonical JSON of `{"at", "kind", "payload"}`.
        public var text: String
    }

    /// An operator's action as the chain keeps it: its row id is left out (not an event-time field).
    public struct Action: Codable, Sendable {
        public var at: EventTime
        public var kind: RiskAction.Kind
        public var by: String
        public var reason: String
        public init(_ action: RiskAction) {
            (at, kind, by, reason) = (action.at, action.kind, action.by, action.reason)
        }
    }

    private struct Envelope<Payload: Encodable>: Encodable {
        var at: EventTime
        var kind: Kind
        var payload: Payload
    }

    /// The canonical text of an entry.
    public static func entry(_ kind: Kind, at time: EventTime, _ payload: some Encodable) throws -> Entry {
        let encoder = JSONCoding.encoder
        let data = try encoder.encode(Envelope(at: time, kind: kind, payload: payload))
        return Entry(kind: kind, eventTime: time, text: String(decoding: data, as: UTF8.self))
    }

    /// SHA-256 of `previous` + "\n" + `text`, as lowercase hex.
    public static func link(previous: String, text: String) -> String {
        let digest = SHA256.hash(data: Data("\(previous)\n\(text)".utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes `entries` after the chain's head: (seq, previous hash, hash) for each, in order.
    public static func append(
        _ entries: [Entry], after head: (seq: Int64, hash: String)
    ) -> [(seq: Int64, previous: String, hash: String)] {
        var (seq, previous) = head
        return entries.map { entry in
            seq += 1
            let hash = link(previous: previous, text: entry.text)
            defer { previous = hash }
            return (seq, previous, hash)
        }
    }

    /// A stored row, as `remora audit verify` reads it.
    public struct Row: Sendable, Hashable {
        public var seq: Int64
        public var previous: String
        public var hash: String
        public var text: String
        public init(seq: Int64, previous: String, hash: String, text: String) {
            (self.seq, self.previous, self.hash, self.text) = (seq, previous, hash, text)
        }
    }

    /// Checks rows read in seq order, continuing from `head` (the last row checked, or nil at the
    /// start): the first broken link, in words, or nil when every row links.
    public static func firstBreak(_ rows: [Row], after head: (seq: Int64, hash: String)?) -> String? {
        var expectedSeq = (head?.seq ?? 0) + 1
        var previous = head?.hash ?? genesis
        for row in rows {
            if row.seq != expectedSeq {
                return "entry \(expectedSeq) is missing (the next stored is \(row.seq)): deleted"
            }
            if row.previous != previous {
                return "entry \(row.seq) does not follow entry \(row.seq - 1): its previous hash is not that entry's hash (deleted, inserted or reordered)"
            }
            if link(previous: row.previous, text: row.text) != row.hash {
                return "entry \(row.seq) was edited: its text does not hash to its stored hash"
            }
            previous = row.hash
            expectedSeq += 1
        }
        return nil
    }
}
