public import RemoraModel

/// Prices for every stage after the scorer: the one place the signal gate, the sizer, the risk
/// guard, the attributor and the backtest read books, marks and price series. An interface with
/// the I/O at the edge (the CLOB, the API stub's replay extension, the world model in process);
/// what a stage computes from the answers stays a pure function of them.
///
/// Every question names an event time. In strict event-time mode (replays, validation, the
/// backtest) the answer is the market as of that instant, whatever the wall clock says, so a
/// decision never depends on when it runs. In live mode the book is the live book at the
/// moment of asking (production decides at once); series and terms are still as of the time.
public protocol MarketData: Sendable {
    /// Both sides of `token`'s book at `time`, canonical in micro-units.
    func book(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> OrderBook
    /// `token`'s price series over `from ... through`, one point per `fidelityMinutes` bucket.
    func series(of token: TokenID, from: EventTime, through: EventTime, fidelityMinutes: Int) async throws(MarketDataProblem)
        -> PriceSeries
    /// The market's terms as last seen at or before `time`; nil when never seen by then.
    func terms(of market: ConditionID, at time: EventTime) async throws(MarketDataProblem) -> MarketTerms?
}

extension MarketData {
    /// (best bid + best ask) ÷ 2 of the book at `time`.
    public func midpoint(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> Price {
        try await book(of: token, at: time).midpoint
    }

    /// The price of `token`'s last trade as the book at `time` reports it.
    public func lastTradePrice(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> Price? {
        try await book(of: token, at: time).lastTradePrice
    }

    /// The marks of `tokens` at `time`: each token's series over the look-back, from which
    /// ``Marks/mark(of:at:)`` takes the last point at or before `time`. A token without a point
    /// in the look-back has no mark (the caller keeps the one it had).
    public func marks(
        of tokens: some Sequence<TokenID>, from: EventTime, through time: EventTime, policy: MarkPolicy
    ) async throws(MarketDataProblem) -> Marks {
        var series: [TokenID: PriceSeries] = [:]
        for token in Set(tokens) {
            series[token] = try await self.series(
                of: token, from: from.adding(millis: -policy.lookbackMillis), through: time,
                fidelityMinutes: policy.fidelityMinutes)
        }
        return Marks(series: series)
    }
}

/// How marks are taken: the series' fidelity and how far back a mark may come from.
public struct MarkPolicy: Sendable, Hashable {
    public var fidelityMinutes: Int
    /// A mark older than this is not looked for. A market that closed without resolving keeps
    /// its last mark only while that mark is within the look-back.
    public var lookbackMillis: Int64

    public init(fidelityMinutes: Int = 1, lookbackMillis: Int64 = 7 * EventTime.day) {
        self.fidelityMinutes = fidelityMinutes
        self.lookbackMillis = lookbackMillis
    }
}

/// When our copy of a whale's fill reaches the market: the fill's time plus the copy lag (the
/// time to learn of the fill and act). In strict mode this instant is the order's event time and
/// the book it fills against is the book of that instant.
public struct CopyLag: Sendable, Hashable {
    public var millis: Int64
    /// 30 s: the Data API lists a fill some seconds after it happens and the fetcher polls each
    /// whale on an interval (docs/architecture.md, "Market data").
    public static let standard = CopyLag(millis: 30_000)

    public init(millis: Int64) { self.millis = millis }

    public func copyInstant(ofFillAt time: EventTime) -> EventTime { time.adding(millis: millis) }
}
