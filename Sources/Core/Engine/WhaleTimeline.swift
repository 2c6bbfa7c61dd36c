public import RemoraModel

/// A whale's figures through time as the scorer publishes them on `whale.score`: as of each of its
/// settlements, and as of the start of each day it holds open fills (their marks move once a
/// day). The in-process engine reads the gate's input here instead of from PostgreSQL.
public struct WhaleTimeline: Sendable {
    public struct Point: Sendable {
        public var time: EventTime
        public var figures: WhaleFigures
        public var realizedPnl: USDC
        public init(time: EventTime, figures: WhaleFigures, realizedPnl: USDC) {
            self.time = time
            self.figures = figures
            self.realizedPnl = realizedPnl
        }
    }

    /// In time order.
    public private(set) var points: [Point]

    public init(points: [Point]) { self.points = points.sorted { $0.time < $1.time } }

    /// The last publication strictly before `time`: what the gate reads for a trade then.
    public func before(_ time: EventTime) -> Point? {
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].time < time { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : points[low - 1]
    }
}

extension WalletScoring {
    /// One wallet's timeline: one fold carried through its settlements in scoring order, scored
    /// as of each settlement time and each mark day's start through `markDaysThrough`
    /// (``markDays(settlements:fills:through:)``: a wallet holding open fills is scored again each
    /// day as its marks move), with the context of that day, as the scorer does.
    public static func timeline(
        of wallet: WalletAddress, settlements: [TradeSettlement], fills: [HeldFill], marks: MarketMarks,
        markDaysThrough: Int64?, context: (Int64) -> ScoringContext
    ) -> WhaleTimeline {
        var instants = Set(settlements.map(\.settledAt))
        for day in markDays(settlements: settlements, fills: fills, through: markDaysThrough) {
            instants.insert(EventTime(millis: day * EventTime.day))
        }
        let ledger = ScoringLedger(settlements)
        var fold = LedgerFold(ledger)
        let points = instants.sorted().map { time -> WhaleTimeline.Point in
            fold.advance(to: ledger.count(upTo: time))
            let metrics = WalletMetricsCalculator.metrics(
                of: &fold, asOf: time, context: context(time.dayNumber),
                open: OpenPositions.marked(fills, of: wallet, asOf: time, marks: marks), series: false)
            return WhaleTimeline.Point(time: time, figures: metrics.figures, realizedPnl: metrics.realizedPnl)
        }
        return WhaleTimeline(points: points)
    }
}
