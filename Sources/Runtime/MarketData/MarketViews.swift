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

    private static func view(_ request: Request, source: any MarketData, volatilityDays: Int) async -> MarketView {
        await GateReplay.view(
            market: request.market, token: request.token, at: request.copyAt, source: source, volatilityDays: volatilityDays)
    }
}
