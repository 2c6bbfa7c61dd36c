import Foundation
public import Logging

/// Where the three APIs live. Defaults are Polymarket's public hosts; tests and the demo point
/// them at `remora api-stub`.
public struct PolymarketEndpoints: Sendable, Equatable {
    public var dataAPI: String
    public var gamma: String
    public var clob: String

    public static let polymarket = PolymarketEndpoints(
        dataAPI: "https://data-api.polymarket.com", gamma: "https://gamma-api.polymarket.com",
        clob: "https://clob.polymarket.com")

    public init(dataAPI: String, gamma: String, clob: String) {
        func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
        self.dataAPI = trimmed(dataAPI)
        self.gamma = trimmed(gamma)
        self.clob = trimmed(clob)
    }
}

/// How hard to try.
public struct RetryPolicy: Sendable {
    /// Attempts per call, the first included.
    public var attempts: Int
    /// Per-attempt deadline (head and body).
    public var timeout: Duration
    /// Full-jitter exponential backoff: a random wait in [0, min(cap, base × 2^attempt)].
    public var backoffBase: Duration
    public var backoffCap: Duration

    public init(attempts: Int = 6, timeout: Duration = .seconds(10), backoffBase: Duration = .milliseconds(200), backoffCap: Duration = .seconds(10)) {
        self.attempts = attempts
        self.timeout = timeout
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
    }

    func backoff(attempt: Int) -> Duration {
        let ceiling = min(seconds(backoffCap), seconds(backoffBase) * pow(2, Double(attempt)))
        return .seconds(Double.random(in: 0...ceiling))
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Typed clients for the Data API, Gamma and the CLOB. Every call waits for its request
/// budgets, retries transient failures (429 honouring Retry-After, HTTP-200 error bodies, 5xx,
/// timeouts, network errors, undecodable answers) with jittered backoff, and fails with a
/// ``PolymarketError`` that keeps the raw body when the answer cannot be decoded.
public struct PolymarketClient: Sendable {
    public var endpoints: PolymarketEndpoints
    public var retry: RetryPolicy
    let transport: any HTTPGetting
    let budgets: RequestBudgets
    let logger: Logger

    public init(
        endpoints: PolymarketEndpoints = .polymarket, retry: RetryPolicy = RetryPolicy(),
        transport: any HTTPGetting = AsyncHTTPTransport(), budgets: RequestBudgets = RequestBudgets(),
        logger: Logger = Logger(label: "polymarket")
    ) {
        self.endpoints = endpoints
        self.retry = retry
        self.transport = transport
        self.budgets = budgets
        self.logger = logger
    }

    // MARK: Data API

    /// One page of `GET /trades` with the server's time when it answered.
    public struct TradesPage: Sendable {
        /// Each element of the answer in order: a row, or the raw text of one that is not a
        /// trade row (kept for the dead-letter table; it still takes its place in the paging).
        public var entries: [Entry]
        public var serverTime: Int64?

        public enum Entry: Sendable {
            case row(DataAPITradeRow)
            case undecodable(raw: String, reason: String)
        }
    }

    /// `GET /trades` as a page: rows kept even when one of them does not decode as a trade, so
    /// the caller can dead-letter it and keep its place in the paging.
    public func tradesPage(
        user: String, takerOnly: Bool = false, limit: Int = 500, offset: Int = 0
    ) async throws -> TradesPage {
        let query: [(String, String)] = [
            ("user", user), ("takerOnly", takerOnly ? "true" : "false"), ("limit", String(limit)), ("offset", String(offset)),
        ]
        let (entries, serverTime) = try await fetch(
            "data/trades", base: endpoints.dataAPI, path: "/trades", query: query,
            budgets: [budgets.dataOverall, budgets.dataTrades], as: [LenientTradeRow].self,
            fastPath: { TradeRowScanner.entries($0).map { $0.map(LenientTradeRow.init(entry:)) } })
        return TradesPage(entries: entries.map(\.entry), serverTime: serverTime)
    }

    /// `GET /trades`, newest first. `offset` is capped by the API (10,000 documented).
    public func trades(
        user: String? = nil, markets: [String] = [], side: String? = nil, takerOnly: Bool = true, limit: Int = 100,
        offset: Int = 0
    ) async throws -> [DataAPITradeRow] {
        var query: [(String, String)] = []
        if let user { query.append(("user", user)) }
        if !markets.isEmpty { query.append(("market", markets.joined(separator: ","))) }
        if let side { query.append(("side", side)) }
        query += [("takerOnly", takerOnly ? "true" : "false"), ("limit", String(limit)), ("offset", String(offset))]
        return try await get(
            "data/trades", base: endpoints.dataAPI, path: "/trades", query: query,
            budgets: [budgets.dataOverall, budgets.dataTrades])
    }

    /// `GET /activity?user=` (limit ≤ 500).
    public func activity(
        user: String, types: [String] = [], start: Int64? = nil, end: Int64? = nil, limit: Int = 500, offset: Int = 0,
        ascending: Bool = false
    ) async throws -> [ActivityRow] {
        var query: [(String, String)] = [("user", user), ("limit", String(limit)), ("offset", String(offset))]
        if !types.isEmpty { query.append(("type", types.joined(separator: ","))) }
        if let start { query.append(("start", String(start))) }
        if let end { query.append(("end", String(end))) }
        query += [("sortBy", "TIMESTAMP"), ("sortDirection", ascending ? "ASC" : "DESC")]
        return try await get(
            "data/activity", base: endpoints.dataAPI, path: "/activity", query: query, budgets: [budgets.dataOverall])
    }

    /// `GET /positions?user=`.
    /// `sizeThreshold`: the smallest size listed (the API's default is 1 share).
    public func positions(user: String, limit: Int = 500, offset: Int = 0, sizeThreshold: Double? = nil) async throws -> [PositionRow] {
        var query = [("user", user), ("limit", String(limit)), ("offset", String(offset))]
        if let sizeThreshold { query.append(("sizeThreshold", String(sizeThreshold))) }
        return try await get(
            "data/positions", base: endpoints.dataAPI, path: "/positions", query: query,
            budgets: [budgets.dataOverall, budgets.dataPositions])
    }

    /// `GET /v1/leaderboard` (limit ≤ 50, offset ≤ 1000).
    public func leaderboard(
        category: String = "OVERALL", timePeriod: String = "MONTH", orderBy: String = "PNL", limit: Int = 50, offset: Int = 0
    ) async throws -> [LeaderboardRow] {
        try await get(
            "data/leaderboard", base: endpoints.dataAPI, path: "/v1/leaderboard",
            query: [
                ("category", category), ("timePeriod", timePeriod), ("orderBy", orderBy), ("limit", String(limit)),
                ("offset", String(offset)),
            ], budgets: [budgets.dataOverall])
    }

    // MARK: Gamma

    /// `GET /markets` by condition ids (≤ 100 a request), or a page of all markets.
    public func markets(
        conditionIds: [String] = [], closed: Bool? = nil, limit: Int = 100, offset: Int = 0
    ) async throws -> [GammaMarket] {
        var query: [(String, String)] = conditionIds.map { ("condition_ids", $0) }
        if let closed { query.append(("closed", closed ? "true" : "false")) }
        query += [("limit", String(limit)), ("offset", String(offset))]
        return try await get(
            "gamma/markets", base: endpoints.gamma, path: "/markets", query: query,
            budgets: [budgets.gammaOverall, budgets.gammaMarkets])
    }

    /// One `GET /markets/keyset` page: up to 100 markets after `cursor` (nil: the first page), and
    /// the cursor of the next page (nil on the last).
    public func marketsPage(
        conditionIds: [String] = [], closed: Bool? = nil, limit: Int = 100, after cursor: String? = nil
    ) async throws -> GammaMarketsPage {
        var query: [(String, String)] = conditionIds.map { ("condition_ids", $0) }
        if let closed { query.append(("closed", closed ? "true" : "false")) }
        query.append(("limit", String(min(max(1, limit), 100))))
        if let cursor { query.append(("after_cursor", cursor)) }
        return try await get(
            "gamma/markets/keyset", base: endpoints.gamma, path: "/markets/keyset", query: query,
            budgets: [budgets.gammaOverall, budgets.gammaMarkets])
    }

    /// Every market matching the filters, by keyset pages (no offset to drift while the list
    /// grows). `onPage` sees each page as it arrives.
    public func allMarkets(
        closed: Bool? = nil, onPage: (@Sendable ([GammaMarket]) async throws -> Void)? = nil
    ) async throws -> [GammaMarket] {
        var all: [GammaMarket] = []
        var cursor: String?
        var seenCursors: Set<String> = []
        repeat {
            let page = try await marketsPage(closed: closed, after: cursor)
            all += page.markets
            try await onPage?(page.markets)
            cursor = page.nextCursor
            // A server that hands back a cursor already followed would loop forever.
            if let next = cursor, !seenCursors.insert(next).inserted {
                throw PolymarketError.undecodable(
                    endpoint: "gamma/markets/keyset", url: endpoints.gamma + "/markets/keyset", reason: "next_cursor repeats: \(next)",
                    body: "")
            }
        } while cursor != nil
        return all
    }

    /// `GET /markets?condition_ids=…` (≤ 100) with the server's time when it answered.
    public func marketsWithTime(conditionIds: [String]) async throws -> (markets: [GammaMarket], serverTime: Int64?) {
        let query: [(String, String)] = conditionIds.map { ("condition_ids", $0) } + [("limit", String(max(1, conditionIds.count)))]
        let (markets, serverTime) = try await fetch(
            "gamma/markets", base: endpoints.gamma, path: "/markets", query: query,
            budgets: [budgets.gammaOverall, budgets.gammaMarkets], as: [GammaMarket].self)
        return (markets, serverTime)
    }

    /// `GET /markets/{id}`.
    public func market(id: String) async throws -> GammaMarket {
        try await get(
            "gamma/market", base: endpoints.gamma, path: "/markets/\(id)", query: [],
            budgets: [budgets.gammaOverall, budgets.gammaMarkets])
    }

    /// `GET /events?id=` or `?slug=`.
    public func events(ids: [String] = [], slug: String? = nil) async throws -> [GammaEvent] {
        var query: [(String, String)] = ids.map { ("id", $0) }
        if let slug { query.append(("slug", slug)) }
        return try await get(
            "gamma/events", base: endpoints.gamma, path: "/events", query: query,
            budgets: [budgets.gammaOverall, budgets.gammaEvents])
    }

    // MARK: CLOB

    /// `GET /book?token_id=`.
    /// `GET /book?token_id=`; `at` (unix seconds) asks the API stub for the book of that instant
    /// (its replay extension; the real CLOB ignores it and answers now).
    public func book(tokenId: String, at instant: Int64? = nil) async throws -> ClobBook {
        var query = [("token_id", tokenId)]
        if let instant { query.append(("at", String(instant))) }
        return try await get("clob/book", base: endpoints.clob, path: "/book", query: query, budgets: [budgets.clobBook])
    }

    /// `GET /prices-history?market=TOKEN_ID` (windows of about 15 days at most).
    public func pricesHistory(tokenId: String, startTs: Int64, endTs: Int64, fidelityMinutes: Int = 60) async throws
        -> PriceHistory
    {
        try await pricesHistoryWithTime(tokenId: tokenId, startTs: startTs, endTs: endTs, fidelityMinutes: fidelityMinutes).history
    }

    /// One page and the server's "now" (unix seconds) when it answered, if it said.
    func pricesHistoryWithTime(tokenId: String, startTs: Int64, endTs: Int64, fidelityMinutes: Int) async throws
        -> (history: PriceHistory, serverTime: Int64?)
    {
        let (history, serverTime) = try await fetch(
            "clob/prices-history", base: endpoints.clob, path: "/prices-history",
            query: [
                ("market", tokenId), ("startTs", String(startTs)), ("endTs", String(endTs)),
                ("fidelity", String(fidelityMinutes)),
            ], budgets: [budgets.clobPriceHistory], as: PriceHistory.self)
        return (history, serverTime)
    }

    /// The CLOB's cap on one `startTs`..`endTs` window (longer ones answer HTTP 400).
    public static let priceHistoryWindow: Int64 = 15 * 86_400

    /// The price series of a token over any range: paged in windows within the CLOB's cap, the
    /// pages in time order, each point inside [startTs, endTs], the first of its
    /// `fidelityMinutes` bucket counted from the epoch (so a point on a page's edge, seen by two
    /// pages, is kept once). One request per 15 days, each within the `/prices-history` budget.
    public func pricesHistory(
        tokenId: String, from startTs: Int64, through endTs: Int64, fidelityMinutes: Int = 60
    ) async throws -> [PriceHistory.Point] {
        try await pricesHistoryWithTime(tokenId: tokenId, from: startTs, through: endTs, fidelityMinutes: fidelityMinutes).points
    }

    /// ``pricesHistory(tokenId:from:through:fidelityMinutes:)`` and the earliest "now" (unix
    /// seconds) the server gave with a page: the series is complete through it, not beyond (a
    /// replay's clock can be behind what was asked).
    public func pricesHistoryWithTime(
        tokenId: String, from startTs: Int64, through endTs: Int64, fidelityMinutes: Int = 60
    ) async throws -> (points: [PriceHistory.Point], serverTime: Int64?) {
        var points: [PriceHistory.Point] = []
        var earliest: Int64?
        var windowStart = startTs
        while windowStart <= endTs {
            let windowEnd = min(endTs, windowStart + Self.priceHistoryWindow)
            let (page, serverTime) = try await pricesHistoryWithTime(
                tokenId: tokenId, startTs: windowStart, endTs: windowEnd, fidelityMinutes: fidelityMinutes)
            if let serverTime { earliest = min(earliest ?? serverTime, serverTime) }
            let spacing = Int64(max(1, fidelityMinutes)) * 60
            func bucket(_ t: Int64) -> Int64 { t >= 0 ? t / spacing : (t - spacing + 1) / spacing }
            for point in page.history.sorted(by: { $0.t < $1.t })
            where point.t >= windowStart && point.t <= windowEnd && (points.last.map { bucket($0.t) < bucket(point.t) } ?? true) {
                points.append(point)
            }
            if windowEnd == endTs { break }
            windowStart = windowEnd
        }
        return (points, earliest)
    }

    /// `GET /markets/{condition_id}` on the CLOB: the `tokens[].winner` fallback.
    public func clobMarket(conditionId: String) async throws -> ClobMarket {
        try await get(
            "clob/market", base: endpoints.clob, path: "/markets/\(conditionId)", query: [], budgets: [budgets.clobOther])
    }

    // MARK: the call

    func get<T: Decodable>(
        _ endpoint: String, base: String, path: String, query: [(String, String)], budgets: [RequestBudget]
    ) async throws -> T {
        try await fetch(endpoint, base: base, path: path, query: query, budgets: budgets, as: T.self).value
    }

    /// `fastPath` may decode the body faster than JSONDecoder; when it returns nil (a shape it
    /// does not know), JSONDecoder decides.
    func fetch<T: Decodable>(
        _ endpoint: String, base: String, path: String, query: [(String, String)], budgets: [RequestBudget],
        as type: T.Type, fastPath: (([UInt8]) -> T?)? = nil
    ) async throws -> (value: T, serverTime: Int64?) {
        let url = base + path + Self.queryString(query)
        var last = ""
        var serverPause: Duration?
        for attempt in 0..<retry.attempts {
            // The server's Retry-After when it named one (capped at a minute), else jittered backoff.
            if attempt > 0 { try await Task.sleep(for: serverPause ?? retry.backoff(attempt: attempt)) }
            serverPause = nil
            for budget in budgets { try await budget.acquire() }
            let reply: HTTPReply
            do {
                reply = try await transport.get(url, timeout: retry.timeout)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                last = "transport: \(error)"
                logger.debug("retrying", metadata: ["endpoint": "\(endpoint)", "reason": "\(last)"])
                continue
            }
            switch reply.status {
            case 200..<300:
                if let message = errorMessage(in: reply.body) {
                    // Throttling in disguise: HTTP 200 with {"error": "Too Many Requests"}.
                    last = "error body: \(message)"
                    logger.debug("retrying", metadata: ["endpoint": "\(endpoint)", "reason": "\(last)"])
                    continue
                }
                if let value = fastPath?(reply.body) { return (value, reply.serverTime) }
                do {
                    return (try JSONDecoder().decode(T.self, from: Data(reply.body)), reply.serverTime)
                } catch {
                    // Truncated or malformed answers can be transient; the last one is kept whole.
                    last = "undecodable: \(describeDecoding(error))"
                    if attempt == retry.attempts - 1 {
                        throw PolymarketError.undecodable(
                            endpoint: endpoint, url: url, reason: describeDecoding(error),
                            body: String(decoding: reply.body, as: UTF8.self))
                    }
                    continue
                }
            case 429:
                last = "HTTP 429" + (reply.retryAfter.map { " (Retry-After \($0) s)" } ?? "")
                serverPause = reply.retryAfter.map { .seconds(min(60, max(0, $0))) }
                continue
            case 500..<600:
                last = "HTTP \(reply.status)"
                continue
            default:
                throw PolymarketError.rejected(
                    endpoint: endpoint, url: url, status: reply.status, body: String(decoding: reply.body, as: UTF8.self))
            }
        }
        throw PolymarketError.exhausted(endpoint: endpoint, url: url, attempts: retry.attempts, last: last)
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,")
        return "?" + query.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }
}

/// A decoding error in one line: the path to the bad key and what was wrong.
func describeDecoding(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .dataCorrupted(let context): return "corrupted at \(path(context)): \(context.debugDescription)"
    case .keyNotFound(let key, let context): return "missing \(key.stringValue) at \(path(context))"
    case .typeMismatch(let type, let context): return "expected \(type) at \(path(context))"
    case .valueNotFound(let type, let context): return "null \(type) at \(path(context))"
    @unknown default: return "\(error)"
    }
}

/// One element of a `/trades` answer: decoded as a row in one pass when it is one, otherwise
/// kept as text with the reason.
struct LenientTradeRow: Decodable {
    var entry: PolymarketClient.TradesPage.Entry

    init(entry: PolymarketClient.TradesPage.Entry) { self.entry = entry }

    init(from decoder: any Decoder) throws {
        do {
            entry = .row(try DataAPITradeRow(from: decoder))
        } catch {
            let raw = (try? JSONValue(from: decoder))?.text ?? "?"
            entry = .undecodable(raw: raw, reason: describeDecoding(error))
        }
    }
}

/// Any JSON value, re-serialised compactly (for raw rows kept in dead letters).
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([(String, JSONValue)])

    init(from decoder: any Decoder) throws {
        if var list = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !list.isAtEnd { items.append(try list.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map { ($0.stringValue, try object.decode(JSONValue.self, forKey: $0)) })
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let n = try? single.decode(Double.self) { self = .number(n) }
        else { self = .string(try single.decode(String.self)) }
    }

    var text: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .string(let s): String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let pairs): "{" + pairs.map { JSONValue.string($0.0).text + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
