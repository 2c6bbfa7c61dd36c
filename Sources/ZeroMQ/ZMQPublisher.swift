import CZeroMQ
import Synchronization

/// A PUB socket shared by the tasks of one process. libzmq sockets are not thread-safe, so
/// sends are serialised by a lock; a PUB send never blocks (it drops at the high-water mark).
public final class ZMQPublisher: Sendable {
    private let socket: Mutex<ZMQSocket?>

    /// Connects (or binds, with `bind: true`) a PUB socket to `endpoint`.
    public init(context: ZMQContext, endpoint: String, bind: Bool = false, sendHighWaterMark: Int32 = 1_000_000) throws {
        let pub = try ZMQSocket(context: context, type: .pub)
        try pub.setHighWaterMarks(send: sendHighWaterMark, receive: sendHighWaterMark)
        if bind { try pub.bind(endpoint) } else { try pub.connect(endpoint) }
        socket = Mutex(pub)
    }

    /// Sends one message: a topic frame, then the body frame.
    public func send(topic: String, body: [UInt8]) throws {
        try socket.withLock { socket in
            guard let socket else { throw ZMQError(operation: "send on closed publisher", code: ENOTSOCK) }
            try socket.send([Array(topic.utf8), body])
        }
    }

    /// The bound endpoint, when the publisher was bound to a wildcard port.
    public var lastEndpoint: String { socket.withLock { $0?.lastEndpoint ?? "" } }

    public func close() {
        socket.withLock { socket in
            socket?.close()
            socket = nil
        }
    }
}
