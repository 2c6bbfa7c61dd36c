public import Logging
public import RemoraCore
public import RemoraModel

/// What a batch of decisions needs from market data, read before deciding so that each decision
/// stays a pure function of it: the book of each order's token at the order's instant, and the
/// series that mark the tokens held or traded over the batch's span. Asks a few at a time.
public struct MarketDataBatch: Sendable {
    /// A book wanted: for which order, of which token, at which instant.
    public struct BookRequest: Sendable {
        public var id: String
        public var token: TokenID
        public var time: EventTime
        /// The token's market, when its taker fee then is wanted too.
        public var market: ConditionID?
        public init(id: String, token: TokenID, time: EventTime, market: ConditionID? = nil) {
            self.id = id
            self.token = token
            self.time = time
            self.market = market
        }
    }

    public var books: [String: Result<OrderBook, MarketDataProblem>] = [:]
    /// The market's taker fee rate at the order's instant (bps), for the requests that named
    /// their market: 0 when no terms of it were seen by then.
    public var takerFeeBps: [String: Int] = [:]
    public var marks = Marks()
    /// Daily prices of the same tokens over `dailyDays` before the batch (the correlation
    /// window of ``PortfolioCorrelation``, the mVaR window of ``BookRisk``).
    public var daily = Marks()

    /// The source could not answer and the mode does not allow deciding without it (strict:
    /// the step fails and is retried, so a transient outage never changes a decision).
    public struct Unavailable: Error, CustomStringConvertible {
        public let problem: MarketDataProblem
        public init(problem: MarketDataProblem) { self.problem = problem }
        public var description: String { problem.description }
    }

    public static let concurrency = 8

    /// In strict mode a transient failure (`unavailable`) throws ``Unavailable``; in live mode a
    /// book's failure is the order's answer (fail closed) and a token without marks keeps the
    /// mark it had. `span`: instants besides the requests' that the marks must cover (the risk
    /// guard's control instants).
    public static func gather(
        books requests: [BookRequest], markTokens: some Sequence<TokenID>, source: any MarketData, policy: MarkPolicy,
        mode: EventTimeMode, logger: Logger, concurrency: Int = MarketDataBatch.concurrency,
        dailyDays: Int = PortfolioCorrelation.days, span: ClosedRange<EventTime>? = nil
    ) async throws -> MarketDataBatch {
        var batch = MarketDataBatch()
        // The series cover every request's instant and `span` (the step's control instants).
        let instants = requests.map(\.time) + (span.map { [$0.lowerBound, $0.upperBound] } ?? [])
        guard let first = instants.min(), let last = instants.max() else { return batch }
        try await withThrowingTaskGroup(of: (String, Result<OrderBook, MarketDataProblem>, Result<Int?, MarketDataProblem>).self) { group in
            var next = 0
            func launch() {
                guard next < requests.count else { return }
                let request = requests[next]
                next += 1
                group.addTask { (request.id, await Self.book(request, from: source), await Self.fee(request, from: source)) }
            }
            for _ in 0..<max(1, concurrency) { launch() }
            while let (id, result, fee) = try await group.next() {
                if case .failure(let problem) = result, case .unavailable = problem, mode == .strict { throw Unavailable(problem: problem) }
                switch fee {
                case .success(let bps?): batch.takerFeeBps[id] = bps
                case .success(nil): break
                case .failure(let problem):
                    if case .unavailable = problem, mode == .strict { throw Unavailable(problem: problem) }
                    logger.warning("no market terms for an order: no taker fee charged", metadata: ["order": "\(id)", "problem": "\(problem)"])
                }
                batch.books[id] = result
                launch()
            }
        }
        let tokens = Set(markTokens).union(requests.map(\.token)).sorted()
        // A daily close carries a price at most `closeCarry` old: the window reads that much
        // before the oldest close of the first decision, so every close is the same whatever
        // the batch (marks likewise, through their lookback).
        let closeCarry = Int64(PortfolioCorrelation.closeCarryDays) * EventTime.day
        let dailyPolicy = MarkPolicy(
            fidelityMinutes: 1440, lookbackMillis: Int64(max(dailyDays, PortfolioCorrelation.days) + 2) * EventTime.day + closeCarry)
        batch.marks.lookbackMillis = policy.lookbackMillis
        batch.daily.lookbackMillis = closeCarry
        try await withThrowingTaskGroup(of: (TokenID, PriceSeries?, PriceSeries?).self) { group in
            var next = 0
            func launch() {
                guard next < tokens.count else { return }
                let token = tokens[next]
                next += 1
                group.addTask {
                    let answer = await Self.series(
                        of: token, from: first.adding(millis: -policy.lookbackMillis), through: last, policy: policy, source: source)
                    let daily = await Self.series(
                        of: token, from: first.adding(millis: -dailyPolicy.lookbackMillis), through: last, policy: dailyPolicy,
                        source: source)
                    switch (answer, daily) {
                    case (.success(let series), .success(let days)): return (token, series, days)
                    case (.failure(let problem), _), (_, .failure(let problem)):
                        if mode == .strict { throw Unavailable(problem: problem) }
                        logger.warning("no marks for a token: it keeps its last mark", metadata: ["token": "\(token)", "problem": "\(problem)"])
                        return (token, try? answer.get(), try? daily.get())
                    }
                }
            }
            for _ in 0..<max(1, concurrency) { launch() }
            while let (token, series, days) = try await group.next() {
                if let series { batch.marks.series[token] = series }
                if let days { batch.daily.series[token] = days }
                launch()
            }
        }
        return batch
    }

    // Results, not typed throws, across the task group: a typed-throws `do` inside a group's
    // child task crashed in release builds (swift 6.x, a retain of an uninitialised result).
    private static func book(_ request: BookRequest, from source: any MarketData) async -> Result<OrderBook, MarketDataProblem> {
        do {
            return .success(try await source.book(of: request.token, at: request.time))
        } catch {
            return .failure(error)
        }
    }

    /// The taker fee of the request's market at its instant (nil: no market asked for).
    private static func fee(_ request: BookRequest, from source: any MarketData) async -> Result<Int?, MarketDataProblem> {
        guard let market = request.market else { return .success(nil) }
        do {
            return .success(try await source.terms(of: market, at: request.time)?.takerFeeBps ?? 0)
        } catch {
            return .failure(error)
        }
    }

    private static func series(
        of token: TokenID, from: EventTime, through: EventTime, policy: MarkPolicy, source: any MarketData
    ) async -> Result<PriceSeries, MarketDataProblem> {
        do {
            return .success(try await source.series(of: token, from: from, through: through, fidelityMinutes: policy.fidelityMinutes))
        } catch {
            return .failure(error)
        }
    }
}
