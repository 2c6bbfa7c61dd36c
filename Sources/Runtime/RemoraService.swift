import Foundation
public import Logging
import Metrics
import Prometheus
public import RemoraBus
public import RemoraStore
import ServiceLifecycle
public import ZeroMQ

/// What a stage's body gets: the store, the bus, its settings, a logger and its metrics.
public struct StageEnvironment: Sendable {
    public let service: String
    public let settings: Settings
    public let store: Store
    public let bus: BusEndpoints
    public let zmq: ZMQContext
    public let publisher: BusPublisher
    public let logger: Logger
    public let metrics: StageMetrics
    public let readiness: Readiness
}

/// The shared `main` of every service: parse settings (or print `--help`), bootstrap logging and
/// metrics, migrate, then run the stage, the database pool and the HTTP endpoints as one
/// `ServiceGroup` that shuts down gracefully on SIGTERM/SIGINT (the stage finishes and commits
/// the batch in hand, then everything exits 0).
public enum RemoraService {
    /// Settings every service reads.
    public static func commonSettings(httpPort: Int) -> [Setting] {
        [
            Setting("DATABASE_URL", default: nil, "PostgreSQL URL, postgres://user:password@host:port/db"),
            Setting("REMORA_BUS_PUB", default: BusEndpoints.local.publishEndpoint, "bus proxy endpoint publishers connect to"),
            Setting("REMORA_BUS_SUB", default: BusEndpoints.local.subscribeEndpoint, "bus proxy endpoint subscribers connect to"),
            Setting("REMORA_HTTP_PORT", default: "\(httpPort)", "port of /health, /ready and /metrics", kind: .integer(1...65535)),
            Setting("REMORA_PARTITIONS", default: "all", "partitions this replica owns: all, 0-7 or 0,3,5", kind: .partitions),
            Setting("REMORA_LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error"),
            Setting("REMORA_DB_STALL_S", default: "10", "a transaction begun before the database server restarted and still waiting this long after is stuck (postgres-nio can leave one hanging): the process exits 75 for its restart policy, and resumes from its stored cursors", kind: .integer(2...3600)),
            Setting("REMORA_DB_OUTAGE_EXIT_S", default: "300", "the database unreachable this long: /ready has said so all along; the process exits 75 for its restart policy", kind: .integer(10...86_400)),
        ]
    }

    public static func main(
        service: String, summary: String, httpPort: Int, settings extra: [Setting],
        body: @escaping @Sendable (StageEnvironment) async throws -> Void
    ) async {
        let declared = commonSettings(httpPort: httpPort) + extra
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.contains("--help") || arguments.contains("-h") {
            print(Settings.helpText(service: service, summary: summary, settings: declared))
            return
        }
        let settings = Settings(declared)
        let databaseURL: String
        let level: Logger.Level
        let port: Int
        let bus: BusEndpoints
        do {
            databaseURL = try settings.string("DATABASE_URL")
            let levelText = try settings.string("REMORA_LOG_LEVEL")
            guard let parsed = Logger.Level(rawValue: levelText) else {
                throw ConfigurationError.malformed("REMORA_LOG_LEVEL", "unknown level \"\(levelText)\"")
            }
            level = parsed
            port = try settings.int("REMORA_HTTP_PORT", in: 1...65535)
            bus = BusEndpoints(
                publishEndpoint: try settings.string("REMORA_BUS_PUB"), subscribeEndpoint: try settings.string("REMORA_BUS_SUB"))
            try settings.validate()
        } catch {
            exitWithConfigurationError(service: service, error)
        }
        LoggingSystem.bootstrapLogfmt(service: service, level: level)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: service)
        do {
            let configuration = try DatabaseConfiguration(url: databaseURL)
            let store = Store(configuration: configuration, logger: logger)
            let zmq = ZMQContext()
            let publisher = try BusPublisher(context: zmq, endpoints: bus)
            let readiness = Readiness()
            let environment = StageEnvironment(
                service: service, settings: settings, store: store, bus: bus, zmq: zmq, publisher: publisher,
                logger: logger, metrics: StageMetrics(service: service), readiness: readiness)
            logger.info("starting", metadata: ["database": "\(configuration)", "bus": "\(bus.subscribeEndpoint)"])
            let watchdog = DatabaseWatchdog.start(
                store: store, grace: .seconds(try settings.int("REMORA_DB_STALL_S", in: 2...3600)),
                outageLimit: .seconds(try settings.int("REMORA_DB_OUTAGE_EXIT_S", in: 10...86_400)), readiness: readiness,
                service: service, logger: logger)
            defer { watchdog.cancel() }
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: StoreService(store: store)),
                        .init(service: ObservabilityServer.make(
                            port: port, registry: registry, readiness: readiness, logger: logger)),
                        .init(
                            service: StageService(environment: environment, body: body),
                            successTerminationBehavior: .gracefullyShutdownGroup,
                            failureTerminationBehavior: .gracefullyShutdownGroup),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
            publisher.close()
            zmq.terminate()
            logger.info("stopped")
        } catch let error as ConfigurationError {
            exitWithConfigurationError(service: service, error)
        } catch {
            logger.critical("fatal", metadata: ["error": "\(describe(error))"])
            exit(1)
        }
    }

    public static func exitWithConfigurationError(service: String, _ error: any Error) -> Never {
        FileHandle.standardError.write(Data("\(service): \(error)\n".utf8))
        exit(2)
    }
}

/// Watches the database from outside the pool, once a second (``Store/probe(timeout:)``):
/// - while it does not answer, `/ready` says so, each failed probe is logged at warning level with
///   its count, and after `outageLimit` the process exits 75 (EX_TEMPFAIL) for its restart policy;
/// - when the server restarted (its start time changed, however briefly it was away), a
///   transaction that began before and is still in flight `grace` later lost its session with the
///   restart: postgres-nio 1.33.2 can leave such a query waiting forever, cancellation ignored
///   (measured: a COMMIT sent as the server closed the session). The process exits 75 so that its
///   restart policy (compose, Kubernetes, the demo's supervisor) starts it again; it resumes from
///   its stored cursors. A stage that neither works nor exits is the worst failure for an operator.
/// Outside the service group on purpose: a stuck transaction also stalls a graceful shutdown.
enum DatabaseWatchdog {
    static let exitCode: Int32 = 75

    static func start(
        store: Store, grace: Duration, outageLimit: Duration, readiness: Readiness, service: String, logger: Logger
    ) -> Task<Void, Never> {
        Task.detached {
            var serverStart: Int64?
            /// When a restart was seen. A transaction begun before then that still waits `grace`
            /// later is taken as stuck: on a session the restart closed, or queued in a pool that
            /// (measured after a 30 s outage) never handed it a connection. The pool's own retry
            /// after an outage took up to about 6 s here; the default grace is 10 s.
            var restartSeen: ContinuousClock.Instant?
            var downSince: ContinuousClock.Instant?
            var failedProbes = 0
            let up = Gauge(label: "remora_database_up", dimensions: [("service", service)])
            let sinceCommit = Gauge(label: "remora_seconds_since_commit", dimensions: [("service", service)])
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if let age = store.sinceLastCommit() { sinceCommit.record(seconds(age)) }
                let started = await store.probe()
                let now = ContinuousClock.now
                guard let started else {
                    failedProbes += 1
                    if downSince == nil {
                        downSince = now
                        Counter(label: "remora_database_outages_total", dimensions: [("service", service)]).increment()
                    }
                    up.record(0)
                    readiness.setDatabaseReachable(false)
                    let down = now - downSince!
                    logger.warning(
                        "database unreachable; work resumes from the stored cursors when it is back",
                        metadata: ["attempt": "\(failedProbes)", "down_s": "\(down.components.seconds)",
                                   "exit_after_s": "\(outageLimit.components.seconds)"])
                    if down > outageLimit {
                        logger.critical(
                            "database unreachable for too long; exiting for the restart policy",
                            metadata: ["down_s": "\(down.components.seconds)", "exit_code": "\(exitCode)"])
                        exit(exitCode)
                    }
                    continue
                }
                if let since = downSince {
                    logger.notice(
                        "database reachable again", metadata: ["down_s": "\(String(format: "%.1f", seconds(now - since)))", "failed_probes": "\(failedProbes)"])
                    downSince = nil
                    failedProbes = 0
                }
                up.record(1)
                readiness.setDatabaseReachable(true)
                if let known = serverStart, known != started {
                    logger.notice("the database server restarted; transactions of before are lost to it and redone")
                    restartSeen = now
                }
                serverStart = started
                if let seen = restartSeen, now - seen > grace, let oldest = store.oldestInFlightStart(), oldest < seen {
                    logger.critical(
                        "a database transaction begun before the server restarted is still waiting; exiting so that the restart policy starts this stage again (it resumes from its stored cursors)",
                        metadata: ["waiting_s": "\(Int(seconds(now - oldest)))", "exit_code": "\(exitCode)"])
                    exit(exitCode)
                }
            }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

struct StoreService: Service {
    let store: Store
    func run() async throws {
        await cancelWhenGracefulShutdown { await store.run() }
    }
}

struct StageService: Service {
    let environment: StageEnvironment
    let body: @Sendable (StageEnvironment) async throws -> Void

    func run() async throws {
        // Start-up may wait for the database; a SIGTERM meanwhile simply ends it.
        do {
            try await cancelWhenGracefulShutdown {
                try await environment.store.waitUntilReachable()
                try await Migrator().migrate(environment.store)
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
        guard !Task.isShuttingDownGracefully else { return }
        try await body(environment)
    }
}
