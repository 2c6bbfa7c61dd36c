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
            Setting("REMORA_DB_STALL_S", default: "60", "a database transaction in flight longer than this is stuck (a server restart can leave one hanging): the process exits 75 for its restart policy to start it again, and it catches up from its cursors", kind: .integer(2...3600)),
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
            let stall = Duration.seconds(try settings.int("REMORA_DB_STALL_S", in: 2...3600))
            let watchdog = DatabaseWatchdog.start(store: store, stall: stall, logger: logger)
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

/// Ends a process whose database work is stuck, so that its restart policy (compose, Kubernetes,
/// the demo's supervisor) starts it again and it resumes from its stored cursors: a stage that
/// neither works nor exits is the worst failure for an operator. Outside the service group on
/// purpose: a stuck transaction also stalls a graceful shutdown.
enum DatabaseWatchdog {
    /// EX_TEMPFAIL: a temporary failure; try again.
    static let exitCode: Int32 = 75

    static func start(store: Store, stall: Duration, logger: Logger) -> Task<Void, Never> {
        Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let age = store.oldestInFlight(), age > stall else { continue }
                logger.critical(
                    "a database transaction has been stuck; exiting so that the restart policy starts this stage again (it resumes from its stored cursors)",
                    metadata: ["stuck_s": "\(age.components.seconds)", "limit_s": "\(stall.components.seconds)", "exit_code": "\(exitCode)"])
                exit(exitCode)
            }
        }
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
