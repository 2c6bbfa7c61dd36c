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
/// else is queued without waiting, and adds it to an inbox. Iterating `messages` returns
/// everything in the inbox at once: a consumer that falls behind gets bigger batches, not a
/// longer queue of small ones. Past `maxPending` messages the oldest are dropped, which a durable
/// consumer sees as a sequence gap and repairs from the database. With `idleTicks`, a quiet
/// 100 ms also wakes the consumer (with an empty batch), so it can poll the database on a
/// schedule without a timer task.
public final class ZMQSubscriber: Sendable {
    private let shared: Shared
    private let finished = DispatchSemaphore(value: 0)
    private let ready = DispatchSemaphore(value: 0)
    private let doorbell: AsyncStream<Void>

    /// State the receive thread shares with its owner (atomics and locks cannot be copied into a closure).
    final class Shared: Sendable {
        let stopping = Atomic<Bool>(false)
        let startError = Mutex<ZMQError?>(nil)
        let inbox = Mutex<[ZMQMessage]>([])
        let maxPending: Int
        init(maxPending: Int) { self.maxPending = maxPending }

        func deposit(_ batch: [ZMQMessage]) {
            inbox.withLock { pending in
                pending.append(contentsOf: batch)
                if pending.count > maxPending { pending.removeFirst(pending.count - maxPending) }
            }
        }

        func takeAll() -> [ZMQMessage] { inbox.withLock { pending in defer { pending = [] }; return pending } }
    }

    public init(
        context: ZMQContext, endpoints: [String], prefixes: [String], bind: Bool = false,
        receiveHighWaterMark: Int32 = 1_000_000, maxBatch: Int = 256, maxPending: Int = 1_000_000,
        idleTicks: Bool = false
    ) throws {
        let shared = Shared(maxPending: maxPending)
        self.shared = shared
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        doorbell = stream
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
                        if idleTicks { continuation.yield() }
                        continue
                    }
                    var batch = [ZMQMessage]()
                    batch.reserveCapacity(maxBatch)
                    if let message = ZMQMessage(frames: first) { batch.append(message) }
                    while batch.count < maxBatch, let more = try socket.receive(dontWait: true) {
                        if let message = ZMQMessage(frames: more) { batch.append(message) }
                    }
                    if !batch.isEmpty {
                        shared.deposit(batch)
                        continuation.yield()
                    }
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

    /// Everything received since the previous batch, each time there is news (or an idle tick).
    /// Iterate it once.
    public var messages: Batches { Batches(doorbell: doorbell, shared: shared) }

    /// The batches of a subscriber: one per wake-up, holding all that queued meanwhile.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [ZMQMessage]
        let doorbell: AsyncStream<Void>
        let shared: Shared

        public struct AsyncIterator: AsyncIteratorProtocol {
            var bell: AsyncStream<Void>.AsyncIterator
            let shared: Shared
            public mutating func next() async -> [ZMQMessage]? {
                guard await bell.next() != nil else { return nil }
                return shared.takeAll()
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(bell: doorbell.makeAsyncIterator(), shared: shared)
        }
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
