import Logging
import RemoraStore

/// Transient failures of a loop (the database away, a connection refused): each failure is
/// logged at warning level with its attempt number and the wait before the next try; the wait
/// doubles from `base` up to `cap`, with ±20 % jitter so that seven stages do not retry in step.
/// A success resets it. The loop goes on for as long as the process runs (the database
/// watchdog ends a process whose work is stuck rather than failing).
public struct RetryBackoff: Sendable {
    public let base: Duration
    public let cap: Duration
    public private(set) var attempts = 0
    private var rng = SystemRandomNumberGenerator()

    public init(base: Duration = .milliseconds(250), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before try `attempts + 1`, without jitter.
    public static func delay(afterFailures failures: Int, base: Duration, cap: Duration) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = base
        for _ in 1..<min(failures, 30) {
            delay = delay * 2
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }

    /// Records a failure, logs it, and waits before the next try.
    public mutating func failed(_ what: String, error: any Error, logger: Logger) async {
        attempts += 1
        let delay = Self.delay(afterFailures: attempts, base: base, cap: cap)
        let jittered = delay * Double.random(in: 0.8...1.2, using: &rng)
        logger.warning(
            "\(what) failed; retrying", metadata: [
                "attempt": "\(attempts)", "retry_in_ms": "\(jittered.components.seconds * 1000 + jittered.components.attoseconds / 1_000_000_000_000_000)",
                "error": "\(describe(error))",
            ])
        try? await Task.sleep(for: jittered)
    }

    /// A success: the next failure starts again from `base`, and a recovery after failures is said once.
    public mutating func succeeded(_ what: String, logger: Logger) {
        if attempts > 0 {
            logger.notice("\(what) works again", metadata: ["failed_attempts": "\(attempts)"])
        }
        attempts = 0
    }
}
