import Logging
public import PostgresNIO
import Synchronization

/// The connection pool to PostgreSQL, the system of record. `run()` must be running (in the
/// service's task group) before any query; `Store.withRunning` does that for one-shot tools.
public final class Store: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    public let configuration: DatabaseConfiguration
    /// Start of each transaction in flight, by ticket (see ``oldestInFlight``).
    private let inFlight = Mutex<(next: Int, started: [Int: ContinuousClock.Instant])>((0, [:]))
    /// When the last transaction committed (nil: none yet).
    private let committed = Mutex<ContinuousClock.Instant?>(nil)

    /// Time since the last transaction committed (nil: none yet): the operator's gauge.
    public func sinceLastCommit(now: ContinuousClock.Instant = .now) -> Duration? {
        committed.withLock { $0.map { now - $0 } }
    }

    public init(configuration: DatabaseConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
    }

    /// Keeps the pool alive; returns when the surrounding task is cancelled.
    public func run() async { await client.run() }

    /// Runs `body` with a running store, then shuts the pool down. The shutdown is awaited for
    /// ``shutdownLimit`` at most: postgres-nio's pool waits for every leased connection to come
    /// back before it ends, and a lease that never comes back (a query stranded when its server
    /// closed the session, see ``answer(within:_:)``) must not hold a one-shot command, or a test,
    /// forever. What is left then is said at error level and left to end on its own.
    public static func withRunning<T: Sendable>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        let store = Store(configuration: configuration, logger: logger)
        let running = Task { await store.run() }
        @Sendable func shutDown() async {
            running.cancel()
            do {
                try await answer(within: shutdownLimit) { await running.value }
            } catch {
                // What is still leased, as far as the store's own entry points know: zero means a
                // lease taken around them (a bare `client.query`) is the one not given back.
                let (count, oldest) = store.inFlight.withLock { ($0.started.count, $0.started.values.min()) }
                logger.error(
                    "the database pool did not shut down; leaving it to end on its own",
                    metadata: [
                        "limit_s": "\(shutdownLimit.components.seconds)", "database": "\(configuration.database)",
                        "store_work_in_flight": "\(count)",
                        "oldest_in_flight_s": "\(oldest.map { String(format: "%.1f", Double((ContinuousClock.now - $0).components.seconds)) } ?? "none")",
                    ])
            }
        }
        do {
            // PostgresClient warns on a lease made before run() has started: let it start first.
            try await Task.sleep(for: .milliseconds(10))
            let result = try await body(store)
            await shutDown()
            return result
        } catch {
            await shutDown()
            throw error
        }
    }

    /// How long ``withRunning(_:logger:_:)`` waits for the pool to shut down.
    public static let shutdownLimit: Duration = .seconds(20)

    /// When the server answering now started (`pg_postmaster_start_time()`, unix ms), or nil when
    /// it does not answer: a fresh connection outside the pool and one query, within `timeout` (a
    /// probe that does not answer in time counts as down; its task is left to end). A start time
    /// that changes between two probes means the server restarted (or failed over) in between,
    /// however briefly: no session and no transaction survives that.
    public func probe(timeout: Duration = .seconds(5)) async -> Int64? {
        let configuration = configuration.connectionConfiguration
        let logger = logger
        return try? await answer(within: timeout) {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            var started: Int64?
            if let rows = try? await connection.query(
                "SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint", logger: logger)
            {
                for try await value in rows.decode(Int64.self) { started = value }
            }
            try? await connection.close()
            guard let started else { throw NoAnswer(limit: timeout) }
            return started
        }
    }

    /// Start of the oldest transaction in flight (nil: none).
    public func oldestInFlightStart() -> ContinuousClock.Instant? {
        inFlight.withLock { $0.started.values.min() }
    }

    /// How long the oldest transaction in flight has been running (nil: none). A stage's watchdog
    /// reads it: measured with PostgreSQL restarted under six busy workers (postgres-nio 1.33.2), a
    /// query sent as the server closed an idle-in-transaction session (most often the COMMIT) never
    /// returned and ignored cancellation; such a process neither works nor exits unless something
    /// outside the stuck task ends it.
    public func oldestInFlight(now: ContinuousClock.Instant = .now) -> Duration? {
        inFlight.withLock { state in state.started.values.min().map { now - $0 } }
    }

    /// Runs database work outside a transaction (a single statement on the pool) under the
    /// watchdog's eye, as ``transaction(_:)`` does.
    public func tracked<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let ticket = inFlight.withLock { state -> Int in
            state.next += 1
            state.started[state.next] = .now
            return state.next
        }
        defer { _ = inFlight.withLock { $0.started.removeValue(forKey: ticket) } }
        return try await body()
    }

    /// Reads outside a transaction on one leased connection, under the watchdog's eye: a read
    /// left waiting across a server restart (a pool that never hands out the connection, a query
    /// on a session the restart closed) is as stuck as a transaction, and the watchdog must see
    /// it. Rows are consumed inside the lease (see ``StreamStore/snapshot``).
    public func read<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await tracked { try await client.withConnection { connection in try await body(connection) } }
    }

    /// One transaction: everything `body` writes commits together or not at all.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let ticket = inFlight.withLock { state -> Int in
            state.next += 1
            state.started[state.next] = .now
            return state.next
        }
        defer { _ = inFlight.withLock { $0.started.removeValue(forKey: ticket) } }
        do {
            let value = try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            committed.withLock { $0 = .now }
            return value
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    /// Waits until the server accepts queries (start-up races with the database in compose).
    public func waitUntilReachable(attempts: Int = 100, delay: Duration = .milliseconds(200)) async throws {
        var lastError: (any Error)?
        for _ in 0..<attempts {
            do {
                try await client.query("SELECT 1", logger: logger)
                return
            } catch {
                lastError = error
                try await Task.sleep(for: delay)
            }
        }
        throw lastError ?? CancellationError()
    }
}

extension PostgresConnection {
    /// Runs a statement and discards rows.
    @discardableResult
    public func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}

/// Short, loggable text for a database error (postgres-nio's default text hides the server message).
public func describe(_ error: any Error) -> String {
    if let psql = error as? PSQLError {
        let message = psql.serverInfo?[.message] ?? "\(psql.code)"
        let detail = psql.serverInfo?[.detail].map { " (\($0))" } ?? ""
        return "postgres: \(message)\(detail)"
    }
    return "\(error)"
}

/// `body`'s result, or ``NoAnswer`` when it has not answered within `limit`. The work is not
/// awaited past the limit (it is cancelled and left to end): a query sent as PostgreSQL closed its
/// session may never return nor honour cancellation (postgres-nio 1.33.2), and a caller polling the
/// database must not hang with it.
public func answer<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let first = FirstAnswer<T>()
    return try await withCheckedThrowingContinuation { continuation in
        first.install(continuation)
        let attempt = Task {
            do { first.give(.success(try await body())) } catch { first.give(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            first.give(.failure(NoAnswer(limit: limit)))
            attempt.cancel()
        }
    }
}

/// The database work did not answer in time.
public struct NoAnswer: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "no answer within \(limit)" }
}

/// The first answer wins; later ones are dropped.
private final class FirstAnswer<T: Sendable>: Sendable {
    private let state = Mutex<(waiting: CheckedContinuation<T, any Error>?, answer: Result<T, any Error>?)>((nil, nil))
    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            if let answer = s.answer { return answer }
            s.waiting = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }
    func give(_ answer: Result<T, any Error>) {
        let waiting = state.withLock { s -> CheckedContinuation<T, any Error>? in
            guard s.answer == nil else { return nil }
            s.answer = answer
            defer { s.waiting = nil }
            return s.waiting
        }
        waiting?.resume(with: answer)
    }
}
