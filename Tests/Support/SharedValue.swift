import RemoraRuntime

/// A value that takes seconds to compute (a year-long world, say), computed once on a thread of
/// its own and awaited by every test that reads it.
///
/// A `static let` of it would be computed on the cooperative pool by the first test to touch it,
/// with every other test touching it blocked in the same lazy initializer: on a 2-core machine
/// that is the whole pool, and every other test of the process — an in-process HTTP server's
/// handlers among them — waits.
public final class SharedValue<Value: Sendable>: Sendable {
    private let computation: Task<Value, Never>

    public init(_ compute: @escaping @Sendable () -> Value) {
        computation = Task { await onOwnThread(compute) }
    }

    public var value: Value {
        get async { await computation.value }
    }
}
