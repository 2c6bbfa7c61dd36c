import Logging
public import PostgresNIO
public import RemoraCore

/// The audit chain's table (migration 0024). The risk guard appends in its step transaction,
/// holding the book's lock: one writer, so the head it reads is the head it extends.
public enum AuditStore {
    /// The last entry's seq and hash ((0, genesis) for an empty chain).
    public static func head(on connection: PostgresConnection, logger: Logger) async throws -> (seq: Int64, hash: String) {
        let rows = try await connection.query("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1", logger: logger)
        for try await (seq, hash) in rows.decode((Int64, String).self) { return (seq, hash) }
        return (0, AuditChain.genesis)
    }

    /// Appends entries after `head` (the caller's transaction).
    public static func append(
        _ entries: [AuditChain.Entry], after head: (seq: Int64, hash: String), on connection: PostgresConnection, logger: Logger
    ) async throws -> (seq: Int64, hash: String) {
        guard !entries.isEmpty else { return head }
        let links = AuditChain.append(entries, after: head)
        try await connection.run(
            """
            INSERT INTO audit_chain (seq, event_time, kind, entry, prev_hash, hash)
            SELECT * FROM unnest(\(links.map(\.seq))::bigint[], \(entries.map(\.eventTime.millis))::bigint[],
                \(entries.map(\.kind.rawValue))::text[], \(entries.map(\.text))::text[], \(links.map(\.previous))::text[],
                \(links.map(\.hash))::text[])
            """, logger: logger)
        return (links.last!.seq, links.last!.hash)
    }

    /// Rows after `seq`, in order, at most `limit` (what `remora audit verify` pages through).
    public static func rows(after seq: Int64, limit: Int, on client: PostgresClient, logger: Logger) async throws -> [AuditChain.Row] {
        let rows = try await client.query(
            "SELECT seq, prev_hash, hash, entry FROM audit_chain WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)", logger: logger)
        var out: [AuditChain.Row] = []
        for try await (seq, previous, hash, text) in rows.decode((Int64, String, String, String).self) {
            out.append(AuditChain.Row(seq: seq, previous: previous, hash: hash, text: text))
        }
        return out
    }

    /// Entries by kind, and the chain's head.
    public static func summary(on client: PostgresClient, logger: Logger) async throws -> (kinds: [String: Int], head: (seq: Int64, hash: String)?) {
        var kinds: [String: Int] = [:]
        for try await (kind, n) in try await client.query("SELECT kind, count(*) FROM audit_chain GROUP BY 1", logger: logger)
            .decode((String, Int64).self) { kinds[kind] = Int(n) }
        var head: (Int64, String)?
        for try await (seq, hash) in try await client.query("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1", logger: logger)
            .decode((Int64, String).self) { head = (seq, hash) }
        return (kinds, head)
    }
}
