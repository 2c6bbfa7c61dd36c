import CZeroMQ

/// A libzmq call failed; `errno` and libzmq's text say why.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32
    public var description: String { "zmq \(operation) failed: \(String(cString: zmq_strerror(code))) (errno \(code))" }

    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, code: zmq_errno()) }
}

@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if result == -1 { throw ZMQError.last(operation()) }
    return result
}
