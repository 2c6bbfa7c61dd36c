import Foundation
public import Logging
public import RemoraCore
public import RemoraModel
public import RemoraPolymarket
public import RemoraStore

/// Market data from the CLOB (or the API stub, which answers in its shapes), the edge behind
/// ``MarketData``:
/// - books from `/book`. Strict mode asks for the book of the instant (the stub's replay
///   extension `at=`) and keeps it by (token, second) with no expiry: the same question always
///   gets the same answer, whatever the order of asking. Live mode asks for the live book and
///   keeps it for `bookTTL` at most.
/// - price series from `/prices-history`, paged within its window cap, stored in PostgreSQL
///   (`price_points`) when a store is given and read from there ever after; in live mode only
///   the part at least two fidelity buckets old is stored (the latest minutes may still move).
/// - market terms from `market_terms` (recorded by the resolver from what Gamma said when).
public actor ClobMarketData: MarketData {
    public enum Mode: Sendable {
        case strict
        case live(bookTTL: Duration)
    }

    /// Requests sent, for the benchmark and the budget report.
    public struct Requests: Sendable, Equatable {
        public var books = 0
        public var historyPages = 0
        public var historySeriesFromStore = 0
    }

    let client: PolymarketClient
    let store: Store?
    let mode: Mode
    let logger: Logger
    private struct BookKey: Hashable {
        let token: TokenID
        let second: Int64
    }
    private var books: [BookKey: Result<OrderBook, MarketDataProblem>] = [:]
    private var liveBooks: [TokenID: (book: OrderBook, at: ContinuousClock.Instant)] = [:]
    private struct SeriesKey: Hashable {
        let token: TokenID
        let fidelity: Int
    }
    /// What of each series this process holds: a mirror of the stored interval.
    private var held: [SeriesKey: (covered: ClosedRange<EventTime>, points: [PricePoint])] = [:]
    public private(set) var requests = Requests()
    /// Books kept in strict mode at most (about 100 bytes a level, 20 levels).
    static let bookCacheLimit = 100_000

    public init(client: PolymarketClient, store: Store?, mode: Mode, logger: Logger) {
        self.client = client
        self.store = store
        self.mode = mode
        self.logger = logger
    }

    // MARK: books

    public func book(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> OrderBook {
        switch mode {
        case .strict:
            let key = BookKey(token: token, second: floorDiv(time.millis, 1_000))
            if let known = books[key] { return try known.get() }
            let answer = await fetchBook(token, at: key.second)
            // A transient failure is not an answer: not kept, so the next ask tries again.
            if case .failure(.unavailable) = answer {} else {
                if books.count >= Self.bookCacheLimit { books.removeAll(keepingCapacity: true) }
                books[key] = answer
            }
            return try answer.get()
        case .live(let ttl):
            if let kept = liveBooks[token], ContinuousClock.now - kept.at < ttl { return kept.book }
            let book = try await fetchBook(token, at: nil).get()
            liveBooks[token] = (book, ContinuousClock.now)
            return book
        }
    }

    private func fetchBook(_ token: TokenID, at second: Int64?) async -> Result<OrderBook, MarketDataProblem> {
        requests.books += 1
        do {
            let answer = try await client.book(tokenId: token, at: second)
            do {
                return .success(try answer.orderBook())
            } catch {
                logger.warning("unusable book", metadata: ["token": "\(token)", "problem": "\(error)"])
                return .failure(.badBook(token, error))
            }
        } catch let error as PolymarketError {
            if case .rejected(_, _, let status, let body) = error, status == 404 {
                return .failure(.noBook(token, detail: body.contains("No orderbook") ? "no order book then (market closed or not open)" : "HTTP 404"))
            }
            if case .rejected(_, _, let status, let body) = error, status == 400 {
                return .failure(.noBook(token, detail: "refused: \(body.prefix(120))"))
            }
            return .failure(.unavailable("\(error)"))
        } catch {
            return .failure(.unavailable("\(error)"))
        }
    }

    // MARK: series

    public func series(
        of token: TokenID, from: EventTime, through: EventTime, fidelityMinutes: Int
    ) async throws(MarketDataProblem) -> PriceSeries {
        let fidelity = max(1, fidelityMinutes)
        let key = SeriesKey(token: token, fidelity: fidelity)
        guard from <= through else { return PriceSeries(token: token, fidelityMinutes: fidelity, points: []) }
        if let mine = held[key], mine.covered.contains(from), mine.covered.contains(through) {
            return PriceSeries(token: token, fidelityMinutes: fidelity, points: Self.slice(mine.points, from: from, through: through))
        }
        do {
            try await extend(key, toCover: from...through)
        } catch let problem as MarketDataProblem {
            throw problem
        } catch {
            throw .unavailable(describe(error))
        }
        let mine = held[key]
        let points = Self.slice(mine?.points ?? [], from: from, through: through)
        // Live mode: the newest minutes are not stored (they may still move); ask for them each time.
        if case .live = mode, let covered = mine?.covered, through > covered.upperBound {
            let fresh = try await fetchHistory(token, from: covered.upperBound, through: through, fidelity: fidelity).points
            return PriceSeries(token: token, fidelityMinutes: fidelity, points: points + fresh.filter { $0.time > covered.upperBound })
        }
        return PriceSeries(token: token, fidelityMinutes: fidelity, points: points)
    }

    /// Makes `held[key]` cover `wanted` (as far as may be stored): from PostgreSQL first, then
    /// from the CLOB for what PostgreSQL does not have, stored with the interval it completes.
    /// Strict mode reads ahead up to `readAhead` past what was asked (the series is replayed
    /// forward, so the next question is usually just later) and claims only up to the last
    /// point the source returned beyond what was asked: a source whose clock is earlier has
    /// simply not said more yet.
    private func extend(_ key: SeriesKey, toCover wanted: ClosedRange<EventTime>) async throws {
        var upper = wanted.upperBound
        var askThrough = upper
        switch mode {
        case .live:
            // Only what is safely past is stored.
            let settled = EventTime(millis: Int64(Date().timeIntervalSince1970 * 1000) - 2 * Int64(key.fidelity) * 60_000)
            upper = min(upper, settled)
            askThrough = upper
            guard wanted.lowerBound <= upper else { return }
        case .strict:
            askThrough = upper.adding(millis: Self.readAhead)
        }
        var mine = held[key]
        if let store, mine.map({ !($0.covered.contains(wanted.lowerBound) && $0.covered.contains(upper)) }) ?? true {
            let stored = try await Self.storedCoverage(store, token: key.token, fidelity: key.fidelity, logger: logger)
            if let stored, mine.map({ stored.lowerBound < $0.covered.lowerBound || stored.upperBound > $0.covered.upperBound }) ?? true {
                let points = try await Self.storedPoints(store, token: key.token, fidelity: key.fidelity, in: stored, logger: logger)
                mine = (stored, PriceSeries.canonical(points, fidelityMinutes: key.fidelity))
                requests.historySeriesFromStore += 1
            }
        }
        // A piece starts at its bucket's start: the source keeps the first point of each bucket
        // *inside the range asked*, so a piece starting mid-bucket would keep a later point for
        // it than a piece starting before — and which pieces were asked depends on the order
        // trades are decided in (a restart, a kill), so the series, and the volatility the gate
        // measures on it, would too. (A piece extending the upper end may start mid-bucket: a
        // point it finds there is kept only if the bucket had none before it, and then it is the first.)
        let lower = Self.bucketStart(wanted.lowerBound, fidelityMinutes: key.fidelity)
        var pieces: [(ClosedRange<EventTime>, claim: EventTime)] = []
        if let have = mine?.covered {
            if wanted.lowerBound < have.lowerBound { pieces.append((lower...have.lowerBound, have.lowerBound)) }
            if upper > have.upperBound { pieces.append((have.upperBound...askThrough, upper)) }
        } else {
            pieces.append((lower...askThrough, upper))
        }
        guard !pieces.isEmpty else {
            held[key] = mine
            return
        }
        var covered = mine?.covered
        var fetched: [PricePoint] = []
        for (piece, claim) in pieces {
            let (points, sourceNow) = try await fetchHistory(
                key.token, from: piece.lowerBound, through: piece.upperBound, fidelity: key.fidelity)
            fetched += points
            // Complete through what was asked — unless the source's clock had not reached it.
            let through = max(piece.lowerBound, min(claim, sourceNow ?? claim), points.last?.time ?? piece.lowerBound)
            covered = covered.map { min($0.lowerBound, piece.lowerBound)...max($0.upperBound, through) } ?? piece.lowerBound...through
        }
        let union = covered!
        let kept = fetched.filter { union.contains($0.time) }
        if let store {
            try await Self.storePoints(store, token: key.token, fidelity: key.fidelity, points: kept, covered: union, logger: logger)
        }
        held[key] = (union, PriceSeries.canonical((mine?.points ?? []) + kept, fidelityMinutes: key.fidelity))
    }

    // The database's part, outside the actor (a transaction's body is not actor-isolated).
    private nonisolated static func storedCoverage(
        _ store: Store, token: TokenID, fidelity: Int, logger: Logger
    ) async throws -> ClosedRange<EventTime>? {
        try await store.transaction { connection in
            try await PriceHistoryStore.coverage(token: token, fidelity: fidelity, on: connection, logger: logger)
        }
    }

    private nonisolated static func storedPoints(
        _ store: Store, token: TokenID, fidelity: Int, in range: ClosedRange<EventTime>, logger: Logger
    ) async throws -> [PricePoint] {
        try await store.transaction { connection in
            try await PriceHistoryStore.points(token: token, fidelity: fidelity, in: range, on: connection, logger: logger)
        }
    }

    private nonisolated static func storePoints(
        _ store: Store, token: TokenID, fidelity: Int, points: [PricePoint], covered: ClosedRange<EventTime>, logger: Logger
    ) async throws {
        try await store.transaction { connection in
            try await PriceHistoryStore.store(
                token: token, fidelity: fidelity, points: points, covered: covered, on: connection, logger: logger)
        }
    }

    private nonisolated static func storedTerms(
        _ store: Store, of market: ConditionID, at time: EventTime, logger: Logger
    ) async throws -> MarketTerms? {
        try await store.transaction { connection in
            try await MarketTermsStore.terms(of: market, at: time, on: connection, logger: logger)
        }
    }

    /// The start of the `fidelityMinutes` bucket (counted from the epoch) holding `time`.
    static func bucketStart(_ time: EventTime, fidelityMinutes: Int) -> EventTime {
        let bucket = Int64(max(1, fidelityMinutes)) * 60_000
        return EventTime(millis: floorDiv(time.millis, bucket) * bucket)
    }

    /// How far past the asked instant strict mode reads a series.
    static let readAhead: Int64 = EventTime.day

    /// `/prices-history` over `from ... through`, paged; prices outside [0, 1] are dropped and logged.
    private func fetchHistory(_ token: TokenID, from: EventTime, through: EventTime, fidelity: Int) async throws(MarketDataProblem)
        -> (points: [PricePoint], sourceNow: EventTime?)
    {
        let first = floorDiv(from.millis + 999, 1_000)
        let last = floorDiv(through.millis, 1_000)
        guard first <= last else { return ([], nil) }
        requests.historyPages += Int((last - first) / PolymarketClient.priceHistoryWindow) + 1
        do {
            let (raw, serverTime) = try await client.pricesHistoryWithTime(
                tokenId: token, from: first, through: last, fidelityMinutes: fidelity)
            var points: [PricePoint] = []
            var rejected = 0
            for point in raw {
                guard let price = Price(rounding: point.p), price.micros >= 0, price.micros <= microsPerUnit else {
                    rejected += 1
                    continue
                }
                points.append(PricePoint(time: EventTime(seconds: point.t), price: price))
            }
            if rejected > 0 {
                logger.warning("price points out of range dropped", metadata: ["token": "\(token)", "dropped": "\(rejected)"])
            }
            return (points, serverTime.map { EventTime(seconds: $0) })
        } catch {
            throw .unavailable("\(error)")
        }
    }

    static func slice(_ points: [PricePoint], from: EventTime, through: EventTime) -> [PricePoint] {
        points.filter { $0.time >= from && $0.time <= through }
    }

    // MARK: terms

    public func terms(of market: ConditionID, at time: EventTime) async throws(MarketDataProblem) -> MarketTerms? {
        guard let store else { return nil }
        do {
            return try await Self.storedTerms(store, of: market, at: time, logger: logger)
        } catch {
            throw .unavailable(describe(error))
        }
    }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
