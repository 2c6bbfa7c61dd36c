import Foundation

/// Runs blocking work — waiting for a child process, a lock held across a subprocess, a long
/// computation — on a thread of its own and awaits its result.
///
/// Swift's cooperative pool has one thread per core: two on a small machine. A task that blocks
/// in `waitpid` holds one of them for as long as the child runs, and two such tasks stop every
/// other task in the process, an in-process HTTP server's handlers included (seen in the test
/// runner: an alert receiver missed a 5 s client deadline while tests waited for `remora demo`).
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// ``onOwnThread(_:)`` for work that throws.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
