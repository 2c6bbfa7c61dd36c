import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import RemoraSimulator

/// Serving options besides the world and the clock.
public struct StubOptions: Sendable {
    /// The deepest `offset` the Data API accepts (`/trades`, `/activity`, `/positions`).
    public var offsetCap: Int
    public var faults: FaultSettings

    public init(offsetCap: Int = 10_000, faults: FaultSettings = FaultSettings()) {
        self.offsetCap = offsetCap
        self.faults = faults
    }
}

/// A simulated Polymarket on loopback: the Data API, Gamma and CLOB paths, parameters and JSON
/// shapes over a generated world, replayed up to the clock's "now".
///
/// Every endpoint answers at the root and under the prefix of its API (`/data-api`,
/// `/gamma-api`, `/clob`), so a client can be given three base URLs. Under `/clob`,
/// `/markets/{condition_id}` is the CLOB market; at the root and under `/gamma-api`,
/// `/markets/{id}` is the Gamma market.
public struct APIStub: Sendable {
    public let world: StubWorld
    public let clock: any ReplayClock
    public let options: StubOptions
    let injector: FaultInjector
    let leaderboardCache = LeaderboardCache()

    /// Requests answered so far (faulted ones included).
    public var requestsServed: Int { injector.requests }

    public init(world: StubWorld, clock: any ReplayClock, options: StubOptions = StubOptions()) {
        self.world = world
        self.clock = clock
        self.options = options
        self.injector = FaultInjector(settings: options.faults)
    }

    public func makeRouter() -> Router<StubRequestContext> {
        let router = Router(context: StubRequestContext.self)
        router.add(middleware: ReplayTimeMiddleware(clock: clock))
        router.add(middleware: FaultMiddleware(injector: injector))
        router.get("__stub/status") { _, context in status(at: context.replayNow ?? clock.now()) }
        addDataRoutes(to: router)
        addGammaRoutes(to: router)
        addClobRoutes(to: router, clobShapedMarkets: false)
        addDataRoutes(to: router.group("data-api"))
        addGammaRoutes(to: router.group("gamma-api"))
        addClobRoutes(to: router.group("clob"), clobShapedMarkets: true)
        return router
    }

    /// The server on `host:port` (port 0: any free port); `onServerRunning` gets the bound port.
    public func makeApplication(
        host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(), configuration: .init(address: .hostname(host, port: port), serverName: "remora-api-stub"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    private func addDataRoutes(to routes: some RouterMethods<StubRequestContext>) {
        routes.get("trades", use: endpoint { try trades($0, pageShift: $1, now: $2) })
        routes.get("activity", use: endpoint { try activity($0, pageShift: $1, now: $2) })
        routes.get("positions", use: endpoint { try positions($0, pageShift: $1, now: $2) })
        routes.get("v1/leaderboard", use: endpoint { try leaderboard($0, pageShift: $1, now: $2) })
    }

    private func addGammaRoutes(to routes: some RouterMethods<StubRequestContext>) {
        routes.get("markets", use: endpoint { try gammaMarkets($0, pageShift: $1, now: $2) })
        routes.get("markets/keyset", use: endpoint { query, _, now in try gammaMarketsKeyset(query, now: now) })
        routes.get("markets/slug/:slug", use: pathEndpoint("slug") { try gammaMarket(slug: $0, now: $1) })
        routes.get("markets/:id", use: pathEndpoint("id") { try gammaMarket(id: $0, now: $1) })
        routes.get("events", use: endpoint { try gammaEvents($0, pageShift: $1, now: $2) })
        routes.get("events/slug/:slug", use: pathEndpoint("slug") { try gammaEvent(id: nil, slug: $0, now: $1) })
        routes.get("events/:id", use: pathEndpoint("id") { try gammaEvent(id: $0, slug: nil, now: $1) })
    }

    private func addClobRoutes(to routes: some RouterMethods<StubRequestContext>, clobShapedMarkets: Bool) {
        routes.get("book", use: endpoint { query, _, now in try book(query, now: now) })
        routes.get("prices-history", use: endpoint { query, _, now in try pricesHistory(query, now: now) })
        if clobShapedMarkets {
            routes.get("markets/:condition_id", use: pathEndpoint("condition_id") { try clobMarket(conditionId: $0, now: $1) })
        }
    }

    /// A handler reading the query at one "now"; a refused request becomes `{"error": …}`.
    private func endpoint(
        _ handler: @escaping @Sendable (Query, Int, Int64) throws -> Response
    ) -> @Sendable (Request, StubRequestContext) async throws -> Response {
        let clock = clock
        return { request, context in
            do {
                return try handler(Query(request), context.pageShift, context.replayNow ?? clock.now())
            } catch let error as StubError {
                return error.response
            }
        }
    }

    /// A handler of one path parameter.
    private func pathEndpoint(
        _ parameter: String, _ handler: @escaping @Sendable (String, Int64) throws -> Response
    ) -> @Sendable (Request, StubRequestContext) async throws -> Response {
        let clock = clock
        return { _, context in
            do {
                return try handler(try context.parameters.require(parameter), context.replayNow ?? clock.now())
            } catch let error as StubError {
                return error.response
            }
        }
    }

    /// `GET /__stub/status`: `{"now", "speed", "requests", "faults": {kind: count}}`.
    private func status(at now: Int64) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("now", now)
        writer.key("speed")
        if let speed = clock.speed { writer.number(speed) } else { writer.null() }
        writer.field("requests", Int64(injector.requests))
        writer.key("faults")
        writer.beginObject()
        let counts = injector.faultCounts
        for kind in FaultKind.allCases {
            writer.field(kind.rawValue, Int64(counts[kind] ?? 0))
        }
        writer.endObject()
        writer.endObject()
        return .json(writer.bytes)
    }
}

/// Tells clients the replay "now" in `X-Remora-Replay-Time` (unix seconds). Hummingbird always
/// writes the wall-clock `Date` header, and on the real API `Date` is event time; here it is not,
/// so the stub names its clock in a header of its own. The clock is read once per request and the
/// handler answers as of that instant: a clock read again by the handler could show a result
/// written after the header's time, and a client that dates what it sees by the header (the
/// resolver's `resolvedAt`, the fetcher's watermark) would date it too early.
struct ReplayTimeMiddleware: RouterMiddleware {
    typealias Context = StubRequestContext
    let clock: any ReplayClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let now = clock.now()
        var context = context
        context.replayNow = now
        var response = try await next(request, context)
        response.headers[HTTPField.Name(replayTimeHeader)!] = String(now)
        return response
    }
}

/// The header carrying the stub's replay time.
public let replayTimeHeader = "X-Remora-Replay-Time"
