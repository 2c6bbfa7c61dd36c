import Hummingbird
import Logging
public import Metrics
import Prometheus
import Synchronization

/// Counters and histograms every stage reports, labelled by service and stream.
public struct StageMetrics: Sendable {
    let service: String

    public func received(_ stream: StreamName, count: Int) {
        Counter(label: "remora_messages_in_total", dimensions: [("service", service), ("stream", stream.rawValue)])
            .increment(by: count)
    }

    public func published(_ stream: StreamName, count: Int) {
        Counter(label: "remora_messages_out_total", dimensions: [("service", service), ("stream", stream.rawValue)])
            .increment(by: count)
    }

    public func error(_ kind: String) {
        Counter(label: "remora_errors_total", dimensions: [("service", service), ("kind", kind)]).increment()
    }

    /// Trades stored behind their partition's watermark (`Trade.late`): settled and scored, never copied.
    public func late(count: Int) {
        Counter(label: "remora_late_trades_total", dimensions: [("service", service)]).increment(by: count)
    }

    public func deadLettered(count: Int) {
        Counter(label: "remora_dead_letters_total", dimensions: [("service", service)]).increment(by: count)
    }

    /// Time to process one batch: receive → decide → commit → publish.
    public func processed(batchOf count: Int, duration: Duration) {
        Metrics.Timer(label: "remora_batch_processing_seconds", dimensions: [("service", service)])
            .recordNanoseconds(duration.nanoseconds)
    }

    /// Event time → now, where the stage knows it (detection lag, pipeline lag).
    public func lag(milliseconds: Int64) {
        Metrics.Timer(label: "remora_event_lag_seconds", dimensions: [("service", service)])
            .recordNanoseconds(milliseconds * 1_000_000)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Readiness, flipped by the stage once it has caught up from the database.
public final class Readiness: Sendable {
    private let state = Atomic<Bool>(false)
    private let databaseUnreachable = Atomic<Bool>(false)
    public init() {}
    public func markReady() { state.store(true, ordering: .relaxed) }
    /// The watchdog's probe: not ready while the database does not answer.
    public func setDatabaseReachable(_ reachable: Bool) { databaseUnreachable.store(!reachable, ordering: .relaxed) }
    public var isReady: Bool { state.load(ordering: .relaxed) && !databaseUnreachable.load(ordering: .relaxed) }
}

/// `/health` (the process is alive), `/ready` (caught up, serving) and `/metrics` (Prometheus).
enum ObservabilityServer {
    static func make(port: Int, registry: PrometheusCollectorRegistry, readiness: Readiness, logger: Logger)
        -> some ApplicationProtocol
    {
        let router = Router()
        router.get("health") { _, _ in "ok\n" }
        router.get("ready") { _, _ -> Response in
            readiness.isReady
                ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
                : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "catching up\n")))
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        var quiet = logger
        quiet.logLevel = .warning
        return Application(
            router: router, configuration: .init(address: .hostname("0.0.0.0", port: port)), logger: quiet)
    }
}

import RemoraModel
