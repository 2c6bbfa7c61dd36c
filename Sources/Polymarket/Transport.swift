public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP answer, body collected.
public struct HTTPReply: Sendable {
    public var status: Int
    /// `Retry-After` in seconds, when the server sent one.
    public var retryAfter: Double?
    public var body: [UInt8]

    public init(status: Int, retryAfter: Double? = nil, body: [UInt8]) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// The one thing the clients need from HTTP: a GET with a deadline. Tests substitute it.
public protocol HTTPGetting: Sendable {
    func get(_ url: String, timeout: Duration) async throws -> HTTPReply
}

/// Answers larger than this are refused (the largest real pages are a few MB).
let maximumBodyBytes = 64 << 20

/// async-http-client. The deadline covers the head and the body: a server that starts answering
/// and then stalls is cut off as well.
public struct AsyncHTTPTransport: HTTPGetting {
    let client: HTTPClient

    public init(client: HTTPClient = .shared) { self.client = client }

    public func get(_ url: String, timeout: Duration) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "remora")
        let deadline = NIODeadline.now()
            + .nanoseconds(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        let prepared = request
        return try await withThrowingTaskGroup(of: HTTPReply?.self) { group in
            group.addTask {
                let request = prepared
                let response = try await client.execute(request, deadline: deadline)
                let body = try await response.body.collect(upTo: maximumBodyBytes)
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                return HTTPReply(status: Int(response.status.code), retryAfter: retryAfter, body: Array(buffer: body))
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next() ?? nil else { throw TransportTimeout(url: url, timeout: timeout) }
            return reply
        }
    }
}

public struct TransportTimeout: Error, CustomStringConvertible {
    public var url: String
    public var timeout: Duration
    public var description: String { "no complete answer from \(url) within \(timeout)" }
}
