public import RemoraModel

/// The first piece of the in-process engine: the signal gate's core run over a world's trades in
/// event time, each with the whale's figures as the scorer published them before it and the
/// market as of its copy instant — the same functions the signal-gate service calls.
public enum GateReplay {
    /// One verdict per trade, in the trades' order — event time (the order they were stored in
    /// within an instant: a whale order's first fill stands for it). `market` answers as of any instant (the world model in
    /// process); a transient failure there is a failure of the replay.
    public static func signals(
        _ trades: [Trade], timelines: [WalletAddress: WhaleTimeline], market: any MarketData, policy: GatePolicy,
        lag: CopyLag, conversionLegs: ConversionLegs = ConversionLegs(), concurrency: Int = 8
    ) async throws -> [Signal] {
        let quarantines = policy.quarantineEnabled ? quarantineEvents(timelines, policy: policy) : [:]
        func quarantine(_ trade: Trade) -> QuarantineEvent? {
            quarantines[trade.wallet].flatMap { Quarantine.inEffect($0, before: trade.timestamp) }
        }
        var verdicts = [Signal?](repeating: nil, count: trades.count)
        var wanted: [Int] = []
        // Whale orders: the fills of one transaction, token and side, in the trades' order.
        var fills: [String: [Trade]] = [:]
        for trade in trades { fills[WhaleOrder.key(of: trade), default: []].append(trade) }
        let orders = fills.compactMapValues(WhaleOrder.init)
        var combined = trades
        // Exits: each whale's position per token before each trade, and when it was first followed.
        var positions: [WhaleHolding: Int64] = [:]
        var followedFrom: [WalletAddress: EventTime] = [:]
        for (wallet, timeline) in timelines {
            if let first = timeline.points.first(where: { $0.figures.wqs >= policy.minimumScore }) { followedFrom[wallet] = first.time }
        }
        // Each market's tokens by outcome (as the trades show them), and the orders that are exits
        // by a buy of the other outcome.
        var outcomes: [ConditionID: [Int: TokenID]] = [:]
        for trade in trades {
            outcomes[trade.conditionId, default: [:]][trade.outcomeIndex] = trade.asset
            // A conversion's "Yes" are positions too (outcome 0 of their markets).
            guard trade.kind == .conversion else { continue }
            for leg in conversionLegs.paid(byConversionIn: trade.conditionId) { outcomes[leg.market, default: [:]][0] = leg.yes }
        }
        var complementExits = Set<String>()
        // Positions strictly before each order's instant, as the service reads them (`event_time <
        // t`): the fills of one instant change them once that instant is past.
        var pending: [(holding: WhaleHolding, delta: Int64)] = []
        var pendingAt: EventTime?
        for (index, trade) in trades.enumerated() {
            if trade.timestamp != pendingAt {
                for (holding, delta) in pending { positions[holding, default: 0] += delta }
                pending.removeAll(keepingCapacity: true)
                pendingAt = trade.timestamp
            }
            let whale = timelines[trade.wallet]?.before(trade.timestamp)?.figures
            let key = WhaleOrder.key(of: trade)
            let order = orders[key]!
            let holding = WhaleHolding(wallet: trade.wallet, asset: trade.asset)
            let before = positions[holding, default: 0]
            let followed = followedFrom[trade.wallet].map { $0 < trade.timestamp } ?? false
            // The other outcome the whale holds most of, before this fill.
            let other = (outcomes[trade.conditionId] ?? [:]).filter { $0.value != trade.asset }
                .map { (outcome: $0.key, token: $0.value, held: positions[WhaleHolding(wallet: trade.wallet, asset: $0.value), default: 0]) }
                .max { ($0.held, $1.token) < ($1.held, $0.token) }
            pending.append((holding, trade.side == .buy ? trade.size.micros : -trade.size.micros))
            if trade.kind == .conversion {
                for leg in conversionLegs.paid(byConversionIn: trade.conditionId) {
                    pending.append((WhaleHolding(wallet: trade.wallet, asset: leg.yes), trade.size.micros))
                }
            }
            if order.first.id == trade.id, trade.side == .sell {
                verdicts[index] = SignalGate.exit(
                    order.combined, whale: whale, followed: followed, positionBefore: Shares(micros: before),
                    otherOutcomeHeld: Shares(micros: max(0, other?.held ?? 0)), policy: policy)
            } else if order.first.id == trade.id, trade.side == .buy, !trade.late, followed, let other, other.held > 0,
                let exposure = SignalGate.netHeld(Shares(micros: other.held), against: Shares(micros: before))
            {
                complementExits.insert(key)
                verdicts[index] = SignalGate.complementExit(
                    order.combined, whale: whale, held: exposure, heldToken: other.token, heldOutcome: other.outcome)
            } else if order.first.id != trade.id {
                verdicts[index] = SignalGate.partOfOrder(
                    trade, whale: whale, quarantine: quarantine(trade), order: order, exit: complementExits.contains(key), policy: policy)
            } else if let rejected = SignalGate.screen(
                order.combined, whale: whale, quarantine: quarantine(trade), detectedAt: nil, policy: policy)
            {
                verdicts[index] = rejected
            } else {
                combined[index] = order.combined
                wanted.append(index)
            }
        }
        try await withThrowingTaskGroup(of: (Int, Signal).self) { group in
            var next = 0
            func launch() {
                guard next < wanted.count else { return }
                let index = wanted[next]
                next += 1
                let trade = combined[index]
                let whale = timelines[trade.wallet]?.before(trade.timestamp)?.figures
                group.addTask {
                    let copyAt = lag.copyInstant(ofFillAt: trade.timestamp)
                    let view = await Self.view(
                        market: trade.conditionId, token: trade.asset, at: copyAt, source: market, volatilityDays: policy.volatilityDays)
                    for problem in view.problems {
                        if case .unavailable = problem { throw problem }
                    }
                    return (index, SignalGate.evaluate(trade, whale: whale, market: view, copyAt: copyAt, policy: policy))
                }
            }
            for _ in 0..<max(1, concurrency) { launch() }
            while let (index, signal) = try await group.next() {
                verdicts[index] = signal
                launch()
            }
        }
        return verdicts.map { $0! }
    }

    /// Every whale's quarantines and releases over its timeline, with the policy's approval
    /// (replays approve automatically: ``QuarantinePolicy/Approval/auto``).
    public static func quarantineEvents(
        _ timelines: [WalletAddress: WhaleTimeline], policy: GatePolicy
    ) -> [WalletAddress: [QuarantineEvent]] {
        let rules = policy.quarantineRules
        var events: [WalletAddress: [QuarantineEvent]] = [:]
        for (wallet, timeline) in timelines where timeline.points.contains(where: { $0.figures.wqs >= rules.followFromScore }) {
            let found = Quarantine.events(
                of: wallet, points: timeline.points.map { Quarantine.Point(at: $0.time, figures: $0.figures) }, policy: rules)
            if !found.isEmpty { events[wallet] = found }
        }
        return events
    }

    /// What the trade gate reads of a market at the copy instant: its terms, the token's book,
    /// and its daily prices over `volatilityDays` before. Each part a result: the gate names
    /// what was missing. (Results, not typed throws, inside task groups: a release-build crash
    /// otherwise, see MarketDataBatch.)
    public static func view(
        market: ConditionID, token: TokenID, at copyAt: EventTime, source: any MarketData, volatilityDays: Int
    ) async -> MarketView {
        let terms: Result<MarketTerms?, MarketDataProblem>
        do { terms = .success(try await source.terms(of: market, at: copyAt)) } catch { terms = .failure(error) }
        let book: Result<OrderBook, MarketDataProblem>
        do { book = .success(try await source.book(of: token, at: copyAt)) } catch { book = .failure(error) }
        let daily: Result<PriceSeries, MarketDataProblem>
        do {
            daily = .success(try await source.series(
                of: token, from: copyAt.adding(millis: -Int64(volatilityDays) * EventTime.day), through: copyAt,
                fidelityMinutes: 1440))
        } catch { daily = .failure(error) }
        return MarketView(terms: terms, book: book, dailyPrices: daily)
    }
}

extension MarketView {
    /// Every problem the view met.
    public var problems: [MarketDataProblem] {
        var all: [MarketDataProblem] = []
        if case .failure(let p) = terms { all.append(p) }
        if case .failure(let p) = book { all.append(p) }
        if case .failure(let p) = dailyPrices { all.append(p) }
        return all
    }
}
