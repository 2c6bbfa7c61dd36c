import Foundation
import Hummingbird
import RemoraSimulator
import Synchronization

/// The failures the real APIs have been seen to produce, injected so clients prove they cope.
public enum FaultKind: String, CaseIterable, Sendable {
    /// HTTP 429 with `Retry-After: 1` and `{"error":"Too Many Requests"}`.
    case tooManyRequests = "429"
    /// HTTP 200 whose body is `{"error":"Too Many Requests"}` (seen on the Data API).
    case error200
    /// HTTP 500 (`{"error":"Internal Server Error"}`), 502 (an HTML gateway page) or 503
    /// (`{"error":"Service Unavailable"}`).
    case serverError = "5xx"
    /// Waits `slowSeconds`, then answers normally.
    case slow
    /// The normal answer cut in half: a valid HTTP response whose JSON does not parse.
    case truncated
    /// HTTP 200 with an HTML error page instead of JSON.
    case malformed
    /// On a paged list request with `offset > 0`: the page from `offset − k`, so its first `k`
    /// rows repeat the end of the previous page.
    case repeatedRows = "repeat"
}

public struct FaultSettings: Sendable {
    /// Probability that a request is faulted.
    public var rate: Double
    public var kinds: [FaultKind]
    public var seed: UInt64
    public var slowSeconds: Double
    /// A deterministic outage on top of the random faults: the first `requests` requests that
    /// name one of these wallets (`user=`, lower case) answer 503, whatever the timing. Random
    /// faults depend on the order concurrent requests arrive in; a test that needs a wallet's
    /// pass to fail for good uses this instead.
    public var outage: (wallets: Set<String>, requests: Int)?

    public init(
        rate: Double = 0, kinds: [FaultKind] = FaultKind.allCases, seed: UInt64 = 1, slowSeconds: Double = 5,
        outage: (wallets: Set<String>, requests: Int)? = nil
    ) {
        self.rate = rate
        self.kinds = kinds
        self.seed = seed
        self.slowSeconds = slowSeconds
        self.outage = outage.map { (Set($0.wallets.map { $0.lowercased() }), $0.requests) }
    }
}

/// One fault decision.
enum Fault: Equatable {
    case tooManyRequests
    case error200
    case serverError(status: Int)
    case slow
    case truncated
    case malformed
    case repeatedRows(shift: Int)

    var kind: FaultKind {
        switch self {
        case .tooManyRequests: .tooManyRequests
        case .error200: .error200
        case .serverError: .serverError
        case .slow: .slow
        case .truncated: .truncated
        case .malformed: .malformed
        case .repeatedRows: .repeatedRows
        }
    }
}

/// Decides, per request, whether and how to fail: request number n draws from its own
/// SplitMix64 stream of the seed, so a run with one client is repeatable. Counts requests and
/// faults for `/__stub/status`.
final class FaultInjector: Sendable {
    let settings: FaultSettings
    private let counters = Mutex<(requests: Int, faults: [FaultKind: Int])>((0, [:]))
    private let outageCounts = Mutex<[String: Int]>([:])

    init(settings: FaultSettings) { self.settings = settings }

    var requests: Int { counters.withLock { $0.requests } }
    var faultCounts: [FaultKind: Int] { counters.withLock { $0.faults } }

    /// `page` is the request's (offset, limit) when it is a paged list request with offset > 0:
    /// only then can rows repeat.
    func decide(page: (offset: Int, limit: Int)?, user: String? = nil) -> Fault? {
        let number = counters.withLock { state -> Int in
            state.requests += 1
            return state.requests
        }
        if let (wallets, requests) = settings.outage, let user = user?.lowercased(), wallets.contains(user) {
            let seen = outageCounts.withLock { counts -> Int in
                counts[user, default: 0] += 1
                return counts[user]!
            }
            if seen <= requests {
                counters.withLock { $0.faults[.serverError, default: 0] += 1 }
                return .serverError(status: 503)
            }
        }
        guard settings.rate > 0, !settings.kinds.isEmpty else { return nil }
        var random = SplitMix64(seed: settings.seed, stream: 0xFA17, index: number)
        guard random.nextDouble() < settings.rate else { return nil }
        var kinds = settings.kinds
        if page == nil { kinds.removeAll { $0 == .repeatedRows } }
        guard !kinds.isEmpty else { return nil }
        let fault: Fault
        switch kinds[Int(random.next() % UInt64(kinds.count))] {
        case .tooManyRequests: fault = .tooManyRequests
        case .error200: fault = .error200
        case .serverError: fault = .serverError(status: [500, 502, 503][Int(random.next() % 3)])
        case .slow: fault = .slow
        case .truncated: fault = .truncated
        case .malformed: fault = .malformed
        case .repeatedRows:
            let (offset, limit) = page!
            fault = .repeatedRows(shift: 1 + Int(random.next() % UInt64(max(1, min(offset, limit)))))
        }
        counters.withLock { $0.faults[fault.kind, default: 0] += 1 }
        return fault
    }
}

/// The request context: Hummingbird's core storage plus the `repeat` fault's page shift, which
/// the list handlers subtract from `offset`.
public struct StubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    var pageShift = 0
    /// The replay "now" of this request, read once (``ReplayTimeMiddleware``): the header and the
    /// body show the same instant.
    var replayNow: Int64?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Applies the injector's decision around the real handler. `/__stub/status` is never faulted
/// nor counted.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = StubRequestContext

    static let statusPath = "/__stub/status"
    /// List endpoints paged by `offset` (without the `/data-api`, `/gamma-api` prefixes).
    static let pagedPaths: Set<String> = ["/trades", "/activity", "/positions", "/v1/leaderboard", "/markets", "/events"]

    let injector: FaultInjector

    func handle(
        _ request: Request, context: StubRequestContext, next: (Request, StubRequestContext) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        if path == Self.statusPath { return try await next(request, context) }
        guard let fault = injector.decide(page: Self.page(of: request), user: request.uri.queryParameters["user"].map(String.init)) else { return try await next(request, context) }
        switch fault {
        case .tooManyRequests:
            var response = Response.jsonError("Too Many Requests", status: .tooManyRequests)
            response.headers[.retryAfter] = "1"
            return response
        case .error200:
            return .jsonError("Too Many Requests", status: .ok)
        case .serverError(502):
            return Self.html(Self.badGatewayPage, status: .badGateway)
        case .serverError(503):
            return .jsonError("Service Unavailable", status: .serviceUnavailable)
        case .serverError:
            return .jsonError("Internal Server Error", status: .internalServerError)
        case .slow:
            try await Task.sleep(for: .seconds(injector.settings.slowSeconds))
            return try await next(request, context)
        case .truncated:
            return Self.truncated(try await next(request, context))
        case .malformed:
            return Self.html(Self.badGatewayPage, status: .ok)
        case .repeatedRows(let shift):
            var context = context
            context.pageShift = shift
            return try await next(request, context)
        }
    }

    /// (offset, limit) of a paged list request with a positive offset.
    static func page(of request: Request) -> (offset: Int, limit: Int)? {
        var path = request.uri.path
        for prefix in ["/data-api", "/gamma-api"] where path.hasPrefix(prefix + "/") {
            path.removeFirst(prefix.count)
        }
        guard pagedPaths.contains(path) else { return nil }
        let query = request.uri.queryParameters
        guard let offset = query["offset"].flatMap({ Int($0) }), offset > 0 else { return nil }
        return (offset, query["limit"].flatMap { Int($0) } ?? 100)
    }

    static let badGatewayPage = """
        <html>
        <head><title>502 Bad Gateway</title></head>
        <body>
        <center><h1>502 Bad Gateway</h1></center>
        <hr><center>cloudflare</center>
        </body>
        </html>

        """

    static func html(_ page: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// The same response with only the first half of its body (and a matching length).
    static func truncated(_ response: Response) -> Response {
        var response = response
        let original = response.body
        let kept = (original.contentLength ?? 0) / 2
        response.body = ResponseBody(contentLength: kept) { writer in
            try await original.write(PrefixWriter(base: writer, remaining: kept))
        }
        return response
    }
}

/// Forwards only the first `remaining` bytes written through it.
private struct PrefixWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    var remaining: Int

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard remaining > 0 else { return }
        let length = min(remaining, buffer.readableBytes)
        remaining -= length
        try await base.write(buffer.getSlice(at: buffer.readerIndex, length: length)!)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}
