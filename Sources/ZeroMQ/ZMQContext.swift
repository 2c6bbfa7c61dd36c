import CZeroMQ

/// A libzmq context. Contexts are thread-safe; one per process is enough.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init(ioThreads: Int32 = 1) {
        handle = zmq_ctx_new()
        zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads)
    }

    /// Terminates the context. Every socket must be closed first (LINGER applies here).
    public func terminate() {
        while zmq_ctx_term(handle) == -1, zmq_errno() == EINTR {}
    }

    /// The libzmq version, e.g. "4.3.4".
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
