import Foundation
import Logging
public import RemoraRuntime
public import RemoraStore
import Synchronization

/// A throwaway PostgreSQL server for the tests of one process: initdb in a temporary folder on
/// a free loopback port, started on first use, stopped and deleted when the process exits.
/// Each test gets its own fresh database from `freshDatabase()`.
public enum TestPostgres {
    /// The server's start, shared: tests that ask while it starts await it rather than block.
    private static let server = Mutex<Task<LocalDatabase, any Error>?>(nil)
    private static let counter = Atomic<Int>(0)

    /// Starts the server if needed and creates an empty, migrated-or-not database.
    public static func freshDatabase(migrated: Bool = true) async throws -> DatabaseConfiguration {
        let start = server.withLock { server -> Task<LocalDatabase, any Error> in
            if let server { return server }
            let start = Task {
                // initdb, pg_ctl and createdb block until they end: on threads of their own.
                try await onOwnThread {
                    let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                        "remora-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
                    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
                    // The server runs as `postgres` when we are root: it must be able to reach the folder.
                    chmod(root.path, 0o755)
                    let local = LocalDatabase(root: root, port: try freeLoopbackPort())
                    try local.up(database: "postgres")
                    stopAtExit(local)
                    return local
                }
            }
            server = start
            return start
        }
        let database = try await start.value
        let name = "t\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)"
        try await onOwnThread { try database.createDatabase(name) }
        let configuration = try DatabaseConfiguration(url: database.url(database: name))
        if migrated {
            try await Store.withRunning(configuration, logger: testLogger) { store in
                try await Migrator().migrate(store)
            }
        }
        return configuration
    }

    /// The URL form, for child processes.
    public static func url(of configuration: DatabaseConfiguration) -> String {
        "postgres://\(configuration.username)@\(configuration.host ?? "127.0.0.1"):\(configuration.port)/\(configuration.database)"
    }

    public static var testLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return logger
    }

    private static func stopAtExit(_ database: LocalDatabase) {
        stopper.withLock { $0 = database }
        atexit {
            guard let database = TestPostgres.stopper.withLock({ $0 }) else { return }
            try? database.down()
            try? FileManager.default.removeItem(at: database.root)
        }
    }
    static let stopper = Mutex<LocalDatabase?>(nil)
}


/// Where `swift build` put the executables (next to the test bundle).
public var builtProductsDirectory: URL {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("remora").path) {
        url = url.deletingLastPathComponent()
    }
    return url
}
