import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `schemas/sql/` (bundled as resources) in order, in one
/// transaction under an advisory lock: concurrent starts of several services are safe, and
/// each file runs exactly once.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Advisory-lock key shared by every Remora process ("remora" in ASCII).
    static let lockKey: Int64 = 0x7265_6d6f_7261

    public let migrations: [Migration]

    public init(migrations: [Migration]? = nil) throws {
        self.migrations = try migrations ?? Self.bundled()
    }

    /// The migrations shipped in this build, sorted by version.
    public static func bundled() throws -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigurationError.missing("bundled migrations (Remora_RemoraStore.resources)")
        }
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        return try files.filter { $0.pathExtension == "sql" }.compactMap { url -> Migration? in
            let name = url.deletingPathExtension().lastPathComponent
            guard let version = Int(name.prefix { $0.isNumber }) else { return nil }
            return Migration(version: version, name: name, sql: try String(contentsOf: url, encoding: .utf8))
        }.sorted { $0.version < $1.version }
    }

    /// Applies what is missing and returns the names of the files applied now.
    @discardableResult
    public func migrate(_ store: Store) async throws -> [String] {
        let logger = store.logger
        return try await store.transaction { connection in
            // Transaction-scoped lock: released by COMMIT, even if this process dies.
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            try await connection.run(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            var names: [String] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.run(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                names.append(migration.name)
                logger.info("migration applied", metadata: ["migration": "\(migration.name)"])
            }
            return names
        }
    }
}
