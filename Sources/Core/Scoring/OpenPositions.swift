public import RemoraModel

/// A wallet's fill as the scorer needs it to mark what is still open: the fill and, once known,
/// when its market resolved (the fill is open until then).
public struct HeldFill: Sendable, Hashable {
    public var tradeId: String
    public var conditionId: ConditionID
    public var outcomeIndex: Int
    public var side: Side
    public var size: Shares
    public var price: Price
    public var time: EventTime
    public var resolvedAt: EventTime?
    /// The fill's side of the match: a maker's open fills are not scored (``WalletScoring/counts(_:)``).
    public var role: TradeRole

    public init(
        tradeId: String, conditionId: ConditionID, outcomeIndex: Int, side: Side, size: Shares, price: Price,
        time: EventTime, resolvedAt: EventTime?, role: TradeRole = .unknown
    ) {
        self.role = role
        self.tradeId = tradeId
        self.conditionId = conditionId
        self.outcomeIndex = outcomeIndex
        self.side = side
        self.size = size
        self.price = price
        self.time = time
        self.resolvedAt = resolvedAt
    }

    /// Open at `time`: bought or sold by then, its market not resolved by then (a fill settles at
    /// the later of its own time and its market's resolution).
    public func isOpen(at asOf: EventTime) -> Bool {
        time <= asOf && (resolvedAt.map { $0 > asOf } ?? true)
    }
}

/// The last traded price of each market's outcomes, from every stored fill (any wallet), for
/// marking open fills. A fill of the other outcome of a binary market marks this one at
/// 1 − its price (the two outcomes' prices add up to 1).
public struct MarketMarks: Sendable {
    struct Point: Sendable {
        var time: Int64
        var outcomeIndex: Int
        var price: Int64
    }

    private var points: [ConditionID: [Point]] = [:]

    public init() {}

    /// Adds a fill; fills of a market must come in event-time order (any order within one
    /// instant: fills of the same instant mark together, below).
    public mutating func add(_ conditionId: ConditionID, time: EventTime, outcomeIndex: Int, price: Price) {
        points[conditionId, default: []].append(Point(time: time.millis, outcomeIndex: outcomeIndex, price: price.micros))
    }

    /// Outcome `outcomeIndex`'s price as of the market's last fills strictly before `before`:
    /// the mean of the fills of that last instant (a sweep of several levels, or a taker and its
    /// maker, share one), each read as this outcome's price. Not "the last stored": storage order
    /// within an instant depends on how the stages are partitioned, and a score must not;
    /// nil when the market has none.
    public func mark(_ conditionId: ConditionID, outcomeIndex: Int, before: EventTime) -> Price? {
        guard let list = points[conditionId] else { return nil }
        // First point at or after `before`; the ones before it at the same instant are the last.
        var low = 0
        var high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].time < before.millis { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let instant = list[low - 1].time
        var sum: Int64 = 0
        var count: Int64 = 0
        var i = low - 1
        while i >= 0, list[i].time == instant {
            sum += list[i].outcomeIndex == outcomeIndex ? list[i].price : microsPerUnit - list[i].price
            count += 1
            i -= 1
        }
        return Price(micros: (sum + count / 2) / count)
    }
}

/// Open fills valued at their marks, as settlements "as if the market paid the mark": the scorer
/// counts them in the wallet's P&L series as of the score's time (``WalletMetricsCalculator``).
public enum OpenPositions {
    /// The fills of `fills` open at `asOf`, each marked at its market's last price before the start
    /// of `asOf`'s UTC day (every wallet's fills before that are stored when the scorer runs in
    /// strict mode; later ones may not be), or at its own price when the market has no earlier
    /// fill. A buy gains size × (mark − price), a sell size × (price − mark); no fee is charged
    /// until the fill settles. In (time, trade) order, so that sums over them are reproducible.
    public static func marked(
        _ fills: [HeldFill], of wallet: WalletAddress, asOf: EventTime, marks: MarketMarks
    ) -> [TradeSettlement] {
        let dayStart = EventTime(millis: asOf.dayNumber * EventTime.day)
        var open: [TradeSettlement] = []
        for fill in fills where fill.isOpen(at: asOf) && WalletScoring.counts(fill.role) {
            let mark = marks.mark(fill.conditionId, outcomeIndex: fill.outcomeIndex, before: dayStart) ?? fill.price
            let edge = fill.side == .buy ? mark.micros - fill.price.micros : fill.price.micros - mark.micros
            let gross = fill.size.value(at: Price(micros: abs(edge)))
            open.append(TradeSettlement(
                tradeId: fill.tradeId, wallet: wallet, conditionId: fill.conditionId, category: "",
                side: fill.side, size: fill.size, price: fill.price, payout: mark, result: .void,
                cost: fill.size.value(at: fill.price), fee: .zero, realizedPnl: edge < 0 ? -gross : gross,
                tradeTime: fill.time, settledAt: asOf))
        }
        return open.sorted { ($0.tradeTime, $0.tradeId) < ($1.tradeTime, $1.tradeId) }
    }
}
