import CZeroMQ

/// The socket types Remora uses.
public enum ZMQSocketType: Sendable {
    case pub, sub, xpub, xsub, pair

    var raw: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .pair: ZMQ_PAIR
        }
    }
}

/// One libzmq socket. Sockets are not thread-safe: a socket belongs to one thread at a time
/// (the owner serialises access; `Publisher` does it with a lock, `Subscriber` with its own thread).
public final class ZMQSocket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private var closed = false
    /// Reused message buffer: `zmq_msg_t` must live at a stable address (small messages sit inside it).
    private let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)

    public init(context: ZMQContext, type: ZMQSocketType) throws {
        guard let socket = zmq_socket(context.handle, type.raw) else { throw ZMQError.last("socket") }
        handle = socket
        // Never hang at exit on unsent messages for more than a second.
        try setOption(ZMQ_LINGER, 1000)
    }

    deinit {
        close()
        message.deallocate()
    }

    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    public func setOption(_ option: Int32, _ value: Int32) throws {
        var v = value
        try check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size), "setsockopt \(option)")
    }

    /// High-water marks: PUB drops silently beyond them, so the bus sets them high and relies on
    /// the database for delivery anyway.
    public func setHighWaterMarks(send: Int32, receive: Int32) throws {
        try setOption(ZMQ_SNDHWM, send)
        try setOption(ZMQ_RCVHWM, receive)
    }

    /// Receive timeout in milliseconds (-1 blocks forever).
    public func setReceiveTimeout(milliseconds: Int32) throws { try setOption(ZMQ_RCVTIMEO, milliseconds) }

    public func bind(_ endpoint: String) throws { try check(zmq_bind(handle, endpoint), "bind \(endpoint)") }
    public func connect(_ endpoint: String) throws { try check(zmq_connect(handle, endpoint), "connect \(endpoint)") }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to the chosen port).
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func subscribe(prefix: String) throws {
        try check(zmq_setsockopt(handle, ZMQ_SUBSCRIBE, prefix, prefix.utf8.count), "subscribe \(prefix)")
    }

    public func unsubscribe(prefix: String) throws {
        try check(zmq_setsockopt(handle, ZMQ_UNSUBSCRIBE, prefix, prefix.utf8.count), "unsubscribe \(prefix)")
    }

    /// Sends a multipart message. Returns false when it would block (`dontWait`) — for PUB that
    /// never happens: PUB drops at the high-water mark instead.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc == -1 {
                let code = zmq_errno()
                if code == EAGAIN { return false }
                if code == EINTR { return try send(Array(frames[index...]), dontWait: dontWait) }
                throw ZMQError(operation: "send", code: code)
            }
        }
        return true
    }

    /// Receives one multipart message; nil on timeout (or when `dontWait` and nothing is queued).
    public func receive(dontWait: Bool = false) throws -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            zmq_msg_init(message)
            defer { zmq_msg_close(message) }
            let rc = zmq_msg_recv(message, handle, dontWait ? ZMQ_DONTWAIT : 0)
            if rc == -1 {
                let code = zmq_errno()
                if code == EAGAIN || code == EINTR, frames.isEmpty { return nil }
                if code == EAGAIN || code == EINTR { continue }  // rest of a multipart is always there
                throw ZMQError(operation: "receive", code: code)
            }
            let size = zmq_msg_size(message)
            let data = zmq_msg_data(message)!
            frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            if zmq_msg_more(message) == 0 { return frames }
        }
    }
}
