public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RemoraModel

/// One HTTP answer, body collected.
public struct HTTPReply: Sendable {
    public var status: Int
    /// `Retry-After` in seconds, when the server sent one.
    public var retryAfter: Double?
    /// The server's `Date` (unix seconds): its notion of "now", which is event time for the
    /// fetcher (real time on Polymarket, replay time on the stub).
    public var serverTime: Int64?
    public var body: [UInt8]

    public init(status: Int, retryAfter: Double? = nil, serverTime: Int64? = nil, body: [UInt8]) {
        self.status = status
        self.retryAfter = retryAfter
        self.serverTime = serverTime
        self.body = body
    }
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's preferred form).
public func parseHTTPDate(_ text: String) -> Int64? {
    let parts = text.split(separator: " ")
    guard parts.count >= 5 else { return nil }
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    guard let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]) else {
        return nil
    }
    let clock = parts[4].split(separator: ":").compactMap { Int($0) }
    guard clock.count == 3 else { return nil }
    let days = daysFromCivil(year: year, month: monthIndex + 1, day: day)
    return Int64(days) * 86_400 + Int64(clock[0] * 3600 + clock[1] * 60 + clock[2])
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
                // The API stub names its replay clock; a real server's Date is its now.
                let serverTime =
                    response.headers.first(name: "X-Remora-Replay-Time").flatMap { Int64($0) }
                    ?? response.headers.first(name: "Date").flatMap(parseHTTPDate)
                return HTTPReply(
                    status: Int(response.status.code), retryAfter: retryAfter, serverTime: serverTime, body: Array(buffer: body))
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
