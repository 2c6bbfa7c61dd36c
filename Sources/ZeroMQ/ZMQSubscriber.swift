import CZeroMQ
import Foundation
import Synchronization

/// One received message: the topic frame and the body frame.
public struct ZMQMessage: Sendable {
    public let topic: String
    public let body: [UInt8]
}

/// A SUB socket that lives on its own thread, so no blocking receive ever runs on Swift's
/// cooperative pool. It waits up to 100 ms per receive (so it notices `stop()`), drains whatever
/// else is queued without waiting, and yields batches into `messages`. The stream keeps at most
/// `bufferedBatches` batches: when the consumer falls that far behind, older batches are dropped,
/// which a durable consumer sees as a sequence gap and repairs from the database. With
/// `idleTicks`, an empty batch is yielded after each quiet 100 ms, so consumers can poll the
/// database on a schedule without a timer task.
public final class ZMQSubscriber: Sendable {
    public let messages: AsyncStream<[ZMQMessage]>
    private let shared = Shared()
    private let finished = DispatchSemaphore(value: 0)
    private let ready = DispatchSemaphore(value: 0)

    /// State the receive thread shares with its owner (atomics and locks cannot be copied into a closure).
    private final class Shared: Sendable {
        let stopping = Atomic<Bool>(false)
        let startError = Mutex<ZMQError?>(nil)
    }

    public init(
        context: ZMQContext, endpoints: [String], prefixes: [String], bind: Bool = false,
        receiveHighWaterMark: Int32 = 1_000_000, maxBatch: Int = 256, bufferedBatches: Int = 4096,
        idleTicks: Bool = false
    ) throws {
        let (stream, continuation) = AsyncStream.makeStream(of: [ZMQMessage].self, bufferingPolicy: .bufferingNewest(bufferedBatches))
        messages = stream
        let thread = Thread { [shared, finished, ready] in
            defer {
                continuation.finish()
                finished.signal()
            }
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(context: context, type: .sub)
                try socket.setHighWaterMarks(send: receiveHighWaterMark, receive: receiveHighWaterMark)
                try socket.setReceiveTimeout(milliseconds: 100)
                for prefix in prefixes { try socket.subscribe(prefix: prefix) }
                for endpoint in endpoints {
                    if bind { try socket.bind(endpoint) } else { try socket.connect(endpoint) }
                }
            } catch {
                shared.startError.withLock { $0 = error as? ZMQError ?? ZMQError(operation: "start", code: -1) }
                ready.signal()
                return
            }
            ready.signal()
            defer { socket.close() }
            while !shared.stopping.load(ordering: .relaxed) {
                do {
                    guard let first = try socket.receive() else {
                        if idleTicks { continuation.yield([]) }
                        continue
                    }
                    var batch = [ZMQMessage]()
                    batch.reserveCapacity(maxBatch)
                    if let message = ZMQMessage(frames: first) { batch.append(message) }
                    while batch.count < maxBatch, let more = try socket.receive(dontWait: true) {
                        if let message = ZMQMessage(frames: more) { batch.append(message) }
                    }
                    if !batch.isEmpty { continuation.yield(batch) }
                } catch {
                    if (error as? ZMQError)?.code == ETERM { return }
                }
            }
        }
        thread.name = "zmq-sub"
        thread.start()
        ready.wait()
        if let error = shared.startError.withLock({ $0 }) { throw error }
    }

    /// Stops the receive thread and waits for it to close its socket (at most ~100 ms).
    public func stop() {
        guard !shared.stopping.exchange(true, ordering: .relaxed) else { return }
        finished.wait()
    }
}

extension ZMQMessage {
    init?(frames: [[UInt8]]) {
        guard frames.count == 2 else { return nil }
        topic = String(decoding: frames[0], as: UTF8.self)
        body = frames[1]
    }
}
