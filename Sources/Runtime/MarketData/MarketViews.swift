public import Logging
public import RemoraCore
public import RemoraModel

/// What the signal gate reads of the market for a step's candidate trades (``MarketView``): the
/// market's terms and the token's book at the copy instant, and its daily prices before it.
/// Asks a few at a time, before the step's transaction opens.
public enum MarketViews {
    public struct Request: Sendable {
        public var id: String
        public var market: ConditionID
        public var token: TokenID
        public var copyAt: EventTime
        public init(id: String, market: ConditionID, token: TokenID, copyAt: EventTime) {
            self.id = id
            self.market = market
            self.token = token
            self.copyAt = copyAt
        }
    }

    /// In strict mode a transient failure (`unavailable`) throws ``MarketDataBatch/Unavailable``:
    /// the step is retried, so an outage never changes a verdict. In live mode it is the trade's
    /// answer (the gate rejects it, naming the problem).
    public static func gather(
        _ requests: [Request], source: any MarketData, volatilityDays: Int, mode: EventTimeMode, logger: Logger,
        concurrency: Int = MarketDataBatch.concurrency
    ) async throws -> [String: MarketView] {
        var views: [String: MarketView] = [:]
        try await withThrowingTaskGroup(of: (String, MarketView).self) { group in
            var next = 0
            func launch() {
                guard next < requests.count else { return }
                let request = requests[next]
                next += 1
                group.addTask { (request.id, await view(request, source: source, volatilityDays: volatilityDays)) }
            }
            for _ in 0..<max(1, concurrency) { launch() }
            while let (id, view) = try await group.next() {
                if mode == .strict {
                    for problem in view.problems {
                        if case .unavailable = problem { throw MarketDataBatch.Unavailable(problem: problem) }
                    }
                }
                views[id] = view
                launch()
            }
        }
        return views
    }

    // Results, not typed throws, across the task group (see MarketDataBatch).
    private static func view(_ request: Request, source: any MarketData, volatilityDays: Int) async -> MarketView {
        let terms: Result<MarketTerms?, MarketDataProblem>
        do { terms = .success(try await source.terms(of: request.market, at: request.copyAt)) } catch { terms = .failure(error) }
        let book: Result<OrderBook, MarketDataProblem>
        do { book = .success(try await source.book(of: request.token, at: request.copyAt)) } catch { book = .failure(error) }
        let daily: Result<PriceSeries, MarketDataProblem>
        do {
            daily = .success(try await source.series(
                of: request.token, from: request.copyAt.adding(millis: -Int64(volatilityDays) * EventTime.day),
                through: request.copyAt, fidelityMinutes: 1440))
        } catch { daily = .failure(error) }
        return MarketView(terms: terms, book: book, dailyPrices: daily)
    }
}

extension MarketView {
    /// Every problem the view met.
    var problems: [MarketDataProblem] {
        var all: [MarketDataProblem] = []
        if case .failure(let p) = terms { all.append(p) }
        if case .failure(let p) = book { all.append(p) }
        if case .failure(let p) = dailyPrices { all.append(p) }
        return all
    }
}
