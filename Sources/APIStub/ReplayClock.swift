import Foundation
import Synchronization

/// The replay's "now" (unix seconds): what the stub shows is the world as of this instant.
public protocol ReplayClock: Sendable {
    func now() -> Int64
    /// Replay seconds per wall second; nil when the clock stands still.
    var speed: Double? { get }
}

/// A clock that stands at one instant (the default: the world's end, everything visible).
public struct FixedReplayClock: ReplayClock {
    public let instant: Int64
    public init(at instant: Int64) { self.instant = instant }
    public func now() -> Int64 { instant }
    public var speed: Double? { nil }
}

/// A clock that runs from `origin` at `speed` replay seconds per wall second, counted from
/// when it was made.
public struct RunningReplayClock: ReplayClock {
    public let origin: Int64
    public let rate: Double
    private let started = ContinuousClock.now

    public init(origin: Int64, speed: Double) {
        self.origin = origin
        self.rate = speed
    }

    public func now() -> Int64 {
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return origin + Int64((seconds * rate).rounded(.down))
    }

    public var speed: Double? { rate }
}

/// A clock a test moves by hand.
public final class ManualReplayClock: ReplayClock {
    private let instant: Mutex<Int64>
    public init(at instant: Int64) { self.instant = Mutex(instant) }
    public func now() -> Int64 { instant.withLock { $0 } }
    public func set(_ time: Int64) { instant.withLock { $0 = time } }
    public var speed: Double? { nil }
}
