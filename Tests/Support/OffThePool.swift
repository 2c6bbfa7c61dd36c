import Foundation

/// Runs `body` — seconds of computation or a blocking wait — in the calling test's task (so its
/// `#expect`s are the test's) but on a thread of its own rather than on the cooperative pool.
///
/// The pool has one thread per core, two here: a test computing on it for minutes leaves every
/// other test of the process one thread, and two such tests leave them none (see `SharedValue`).
public func offThePool<T: Sendable>(_ body: () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try body() }
}

/// A task executor that runs each job it is given on a new thread.
final class ThreadPerJobExecutor: TaskExecutor {
    static let shared = ThreadPerJobExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        Thread { job.runSynchronously(on: executor) }.start()
    }
}
