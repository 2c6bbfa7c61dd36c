import CZeroMQ
import Foundation
import Synchronization

/// The bus broker: an XSUB socket where publishers connect and an XPUB socket where subscribers
/// connect, joined by `zmq_proxy_steerable` on a dedicated thread. Subscriptions flow upstream
/// through it, so publishers only send topics somebody wants.
public final class ZMQProxy: Sendable {
    private let control: Mutex<ZMQSocket>
    private let finished = DispatchSemaphore(value: 0)
    public let frontendEndpoint: String
    public let backendEndpoint: String

    /// - Parameters:
    ///   - frontend: where publishers connect (XSUB binds here), e.g. `tcp://*:5555`.
    ///   - backend: where subscribers connect (XPUB binds here), e.g. `tcp://*:5556`.
    public init(context: ZMQContext, frontend: String, backend: String, highWaterMark: Int32 = 1_000_000) throws {
        let xsub = try ZMQSocket(context: context, type: .xsub)
        let xpub = try ZMQSocket(context: context, type: .xpub)
        try xsub.setHighWaterMarks(send: highWaterMark, receive: highWaterMark)
        try xpub.setHighWaterMarks(send: highWaterMark, receive: highWaterMark)
        try xsub.bind(frontend)
        try xpub.bind(backend)
        frontendEndpoint = xsub.lastEndpoint
        backendEndpoint = xpub.lastEndpoint
        let controlAddress = "inproc://proxy-control-\(UUID().uuidString)"
        let controlServer = try ZMQSocket(context: context, type: .pair)
        try controlServer.bind(controlAddress)
        let controlClient = try ZMQSocket(context: context, type: .pair)
        try controlClient.connect(controlAddress)
        control = Mutex(controlClient)
        let thread = Thread { [finished] in
            zmq_proxy_steerable(xsub.handle, xpub.handle, nil, controlServer.handle)
            xsub.close()
            xpub.close()
            controlServer.close()
            finished.signal()
        }
        thread.name = "zmq-proxy"
        thread.start()
    }

    /// Stops forwarding and closes the proxy's sockets.
    public func stop() {
        control.withLock { socket in
            _ = try? socket.send([Array("TERMINATE".utf8)])
        }
        finished.wait()
        control.withLock { $0.close() }
    }
}
