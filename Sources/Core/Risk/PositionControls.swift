public import RemoraModel

/// The position controls' limits (docs/risk.md, "Stops and time exits").
public struct ControlPolicy: Sendable, Hashable {
    /// The trailing stop sits this many ATRs below the highest mark − k·ATR seen since entry
    /// (0: no trailing stops).
    public var atrMultiple: Double
    /// Daily true ranges averaged into the ATR.
    public var atrDays: Int
    /// A position is sold this long before the last moment its market takes orders; entries
    /// that would be inside that window are refused (`time_exit_window`).
    public var exitBeforeEndMillis: Int64
    /// Control instants: every multiple of this in event time (plus each held market's exit instant).
    public var intervalMillis: Int64
    /// Fewer daily true ranges than this: the ATR is a stand-in (``PositionControls/averageTrueRange``).
    public static let minimumRanges = 5

    public init(
        atrMultiple: Double = 2.5, atrDays: Int = 14, exitBeforeEndMillis: Int64 = EventTime.day,
        intervalMillis: Int64 = 3_600_000
    ) {
        self.atrMultiple = atrMultiple
        self.atrDays = atrDays
        self.exitBeforeEndMillis = exitBeforeEndMillis
        self.intervalMillis = intervalMillis
    }
}

/// Every version of the terms of the markets the book holds or trades, by when each was seen:
/// a control at an instant reads the terms as known then (``MarketTermsStore`` keeps them).
public struct MarketSchedule: Sendable, Hashable {
    /// Each market's versions, oldest first.
    public var versions: [ConditionID: [MarketTerms]]

    public init(_ versions: [ConditionID: [MarketTerms]] = [:]) {
        self.versions = versions.mapValues { $0.sorted { $0.seenAt < $1.seenAt } }
    }

    /// The version in force at `time`: the last seen at or before it; when none was seen by
    /// then, the first seen after, as it stood at `time` (as `MarketTermsStore.terms` reads it).
    public func terms(of market: ConditionID, at time: EventTime) -> MarketTerms? {
        guard let list = versions[market], let first = list.first else { return nil }
        return list.last(where: { $0.seenAt <= time }) ?? first.projected(to: time)
    }

    /// When the book must be out of the market, as known at `time`: its last order time less the
    /// exit window (nil: no end known).
    public func exitInstant(of market: ConditionID, at time: EventTime, policy: ControlPolicy) -> EventTime? {
        terms(of: market, at: time)?.lastOrderTime.map { $0.adding(millis: -policy.exitBeforeEndMillis) }
    }

    /// Whether the market takes orders at `time`, as known then.
    public func open(_ market: ConditionID, at time: EventTime) -> Bool {
        guard let terms = terms(of: market, at: time) else { return true }
        return terms.acceptingOrders && (terms.closedAt.map { $0 > time } ?? true)
            && (terms.lastOrderTime.map { $0 > time } ?? true)
    }
}

/// The 2.5 × ATR(14) trailing stop and the time exit, in event time on the marks. Pure: the
/// risk guard calls them at each control instant (``RiskGuard/control``).
public enum PositionControls {
    /// A sale a control decided: the token's every lot, or one whale's (`wallet`).
    public struct Sale: Sendable, Hashable {
        public var asset: TokenID
        public var trigger: ControlTrigger
        public var detail: String
        public var wallet: WalletAddress?
        public init(asset: TokenID, trigger: ControlTrigger, detail: String, wallet: WalletAddress? = nil) {
            self.asset = asset
            self.trigger = trigger
            self.detail = detail
            self.wallet = wallet
        }
    }

    /// The average true range of `token`'s daily bars over the `days` days before `time`'s day.
    /// Bars come from the daily closes (the price at each day's start, as ``PortfolioCorrelation``
    /// takes them): with one price per day a bar's true range is |close − previous close|. With
    /// fewer than ``ControlPolicy/minimumRanges`` ranges, a stand-in at the price `at`: the mean
    /// absolute daily move of a bounded martingale whose daily variance is p(1 − p)/30 (the mVaR's
    /// stand-in, ``BookRisk``), √(2/π) × √(p(1 − p)/30).
    public static func averageTrueRange(of token: TokenID, at time: EventTime, daily: Marks, days: Int, price: Price) -> Double {
        let closes = PortfolioCorrelation.closes(of: token, before: time, daily: daily, days: days)
        var ranges: [Double] = []
        for (previous, close) in zip(closes, closes.dropFirst()) {
            if let previous, let close { ranges.append(abs(close - previous)) }
        }
        if ranges.count >= ControlPolicy.minimumRanges { return ranges.reduce(0, +) / Double(ranges.count) }
        let p = price.doubleValue
        return (2 / Double.pi).squareRoot() * (p * (1 - p) / 30).squareRoot()
    }

    /// The stop a position at `mark` would have now: mark − k × ATR, to the nearest micro-USDC, not under 0.
    public static func stopLevel(of token: TokenID, mark: Price, at time: EventTime, daily: Marks, policy: ControlPolicy) -> Price {
        let atr = averageTrueRange(of: token, at: time, daily: daily, days: policy.atrDays, price: mark)
        let level = Double(mark.micros) - policy.atrMultiple * atr * Double(microsPerUnit)
        return Price(micros: max(0, Int64(level.rounded())))
    }

    /// The first control instant after `time`: the next multiple of the interval, or a held
    /// market's exit instant if that comes first — the exit instant of every version of its terms,
    /// from when that version was known (a closed time learned late is acted on once learned; the
    /// check at the instant reads the terms as known then, so an instant of a version not yet
    /// known, or since replaced, sells nothing).
    public static func nextInstant(after time: EventTime, book: Book, schedule: MarketSchedule, policy: ControlPolicy) -> EventTime {
        let step = policy.intervalMillis
        var next = EventTime(millis: (floorDiv(time.millis, step) + 1) * step)
        for position in book.positions.values {
            for version in schedule.versions[position.conditionId] ?? [] {
                guard let last = version.lastOrderTime else { continue }
                let exit = max(last.adding(millis: -policy.exitBeforeEndMillis), version.seenAt)
                if exit > time, exit < next { next = exit }
            }
        }
        return next
    }

    /// The last instant of the grid at or before `time`.
    public static func lastInstant(atOrBefore time: EventTime, policy: ControlPolicy) -> EventTime {
        EventTime(millis: floorDiv(time.millis, policy.intervalMillis) * policy.intervalMillis)
    }

    /// What a control at `time` finds: the positions to sell and why (in token order), and the
    /// book with its marks and trailing stops moved up. A position whose market no longer takes
    /// orders is left alone (it keeps its last mark until it resolves); one without a mark then
    /// keeps its stop.
    public static func check(
        _ book: Book, at time: EventTime, marks: Marks, daily: Marks, schedule: MarketSchedule, policy: ControlPolicy
    ) -> (book: Book, sell: [Sale]) {
        var next = book
        var sell: [Sale] = []
        for asset in book.positions.keys.sorted() {
            guard let position = book.positions[asset], position.shares.micros > 0 else { continue }
            guard schedule.open(position.conditionId, at: time) else { continue }
            if let exit = schedule.exitInstant(of: position.conditionId, at: time, policy: policy), time >= exit {
                let end = exit.adding(millis: policy.exitBeforeEndMillis)
                sell.append(Sale(
                    asset: asset, trigger: .timeExit,
                    detail: "the market takes its last orders at \(end.utcText), \((end.millis - time.millis) / 60_000) min away"))
                continue
            }
            guard let mark = marks.mark(of: asset, at: time)?.price else { continue }
            next.positions[asset]?.mark = mark
            if let stop = book.stops[asset], mark <= stop {
                sell.append(Sale(asset: asset, trigger: .stop, detail: "mark \(mark) at or below the trailing stop \(stop)"))
                continue
            }
            // A multiple of 0: no trailing stops at all.
            guard policy.atrMultiple > 0 else { continue }
            let level = stopLevel(of: asset, mark: mark, at: time, daily: daily, policy: policy)
            next.stops[asset] = max(book.stops[asset] ?? level, level)
        }
        return (next, sell)
    }
}
