public import RemoraModel
import RemoraQuant

/// How much a new position moves with what the book holds (the portfolio gate, docs/strategy.md):
/// a position in the same market is the same exposure (ρ = 1); otherwise the Pearson correlation
/// of the two tokens' daily log returns over the 30 days before the decision, closes taken at
/// each day's start from their daily price series.
public enum PortfolioCorrelation {
    public static let days = 30
    /// A close is the last price at most this many days before the day's start (a market that
    /// did not trade for longer has no close then).
    public static let closeCarryDays = 7
    /// Fewer daily returns than this in common say nothing: no correlation is claimed.
    public static let minimumReturns = 10

    /// The held position whose correlation with `token` is largest in absolute value, or nil
    /// when nothing is held or no pair has enough prices.
    public static func strongest(
        token: TokenID, market: ConditionID, held: some Sequence<BookPosition>, at time: EventTime, daily: Marks,
        groups: [ConditionID: MarketGroup] = [:]
    ) -> (asset: TokenID, rho: Double)? {
        let event = groups[market]?.negRiskEvent
        var best: (asset: TokenID, rho: Double)?
        let mine = closes(of: token, before: time, daily: daily)
        for position in held where position.shares.micros > 0 {
            let rho: Double
            if position.conditionId == market || (event != nil && groups[position.conditionId]?.negRiskEvent == event) {
                // The same market, or another outcome of the same negative-risk event: one exposure.
                rho = 1
            } else {
                let theirs = closes(of: position.asset, before: time, daily: daily)
                // Days both have a close, in order.
                var x: [Double] = []
                var y: [Double] = []
                for (a, b) in zip(mine, theirs) {
                    guard let a, let b else { continue }
                    x.append(a)
                    y.append(b)
                }
                let rx = EWMAVolatility.logReturns(prices: x)
                let ry = EWMAVolatility.logReturns(prices: y)
                guard rx.count >= minimumReturns else { continue }
                let r = Correlation.pearson(rx, ry).coefficient
                guard r.isFinite else { continue }
                rho = r
            }
            if best.map({ abs(rho) > abs($0.rho) }) ?? true { best = (position.asset, rho) }
        }
        return best
    }

    /// The closes at the start of each of the `days` + 1 days up to the decision's, oldest first
    /// (nil where the token had no price by then).
    static func closes(of token: TokenID, before time: EventTime, daily: Marks, days: Int = PortfolioCorrelation.days) -> [Double?] {
        let today = time.dayNumber
        return (0...days).reversed().map { back in
            daily.mark(of: token, at: EventTime(millis: (today - Int64(back)) * EventTime.day))?.price.doubleValue
        }
    }
}
