import Logging
import PostgresNIO
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

/// What the gate reads for one step, before its transaction: the whales' figures as of each
/// trade (with the scorer's watermarks, one snapshot), and the market at the copy instant of the
/// trades that pass the checks needing no market data.
struct GateReads: Sendable {
    var scored: WhaleScoreStore.Figures
    var markets: [String: MarketView]
    /// Each trade's whale order, as stored so far.
    var orders: [String: WhaleOrder] = [:]
    /// The quarantine standing, as of the trade, of each trade's whale that the figures qualify.
    var standings: [String: Quarantine.Standing] = [:]
    /// For each sale standing for its order: the whale's position before it, and whether it was followed.
    var exits: [String: WhaleExitStore.Standing] = [:]
    let policy: GatePolicy
    let mode: EventTimeMode
    let lag: CopyLag

    static func read(
        _ messages: [(StoredMessage, Trade)], policy: GatePolicy, mode: EventTimeMode, lag: CopyLag, marketData: any MarketData,
        store: Store, logger: Logger
    ) async throws -> GateReads {
        let trades = messages.map(\.1)
        // The database's part on one leased connection, under the watchdog's eye (`Store.read`).
        var reads = try await store.read { connection in
            try await readStored(trades, policy: policy, mode: mode, lag: lag, on: connection, logger: logger)
        }
        let scored = reads.scored
        // Market data only for what the screen lets through, and in strict mode only for trades
        // whose scores are complete (the others are decided in a later step, read again then).
        let wanted = messages.compactMap { message, trade -> MarketViews.Request? in
            if mode == .strict, trade.timestamp.millis > (scored.watermarks[message.partition]?.millis ?? Int64.min) { return nil }
            guard let order = reads.order(of: trade), order.first.id == trade.id, reads.complementHeld(trade) == nil, SignalGate.screen(
                order.combined, whale: scored.figures[trade.id], quarantine: reads.quarantine(of: trade),
                detectedAt: reads.detectedAt(message.producedAt), policy: policy) == nil
            else { return nil }
            return .init(id: trade.id, market: trade.conditionId, token: trade.asset, copyAt: lag.copyInstant(ofFillAt: trade.timestamp))
        }
        if !wanted.isEmpty {
            reads.markets = try await MarketViews.gather(
                wanted, source: marketData, volatilityDays: policy.volatilityDays, mode: mode, logger: logger)
        }
        return reads
    }

    /// The whales' figures, quarantine histories, orders and positions the step's trades need.
    private static func readStored(
        _ trades: [Trade], policy: GatePolicy, mode: EventTimeMode, lag: CopyLag, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> GateReads {
        let scored = try await WhaleScoreStore.figures(
            before: trades.map { .init(id: $0.id, wallet: $0.wallet, time: $0.timestamp) }, on: connection, logger: logger)
        var reads = GateReads(scored: scored, markets: [:], policy: policy, mode: mode, lag: lag)
        if policy.quarantineEnabled {
            // Only a whale its figures qualify needs its history folded.
            let qualified = trades.filter { SignalGate.whaleGate($0, whale: scored.figures[$0.id], policy: policy) == nil }
            var before: [WalletAddress: EventTime] = [:]
            for trade in qualified { before[trade.wallet] = max(before[trade.wallet] ?? trade.timestamp, trade.timestamp) }
            let history = try await QuarantineStore.history(before: before, on: connection, logger: logger)
            for trade in qualified {
                reads.standings[trade.id] = Quarantine.standing(
                    of: trade.wallet, points: history.points[trade.wallet] ?? [], approvals: history.approvals,
                    through: trade.timestamp.adding(millis: -1), policy: policy.quarantineRules)
            }
        }
        let fills = try await WhaleOrderStore.fills(of: trades, on: connection, logger: logger)
        for trade in trades {
            if let order = fills[WhaleOrder.key(of: trade)].flatMap(WhaleOrder.init) { reads.orders[trade.id] = order }
        }
        // Every order's whale position: a sale reduces it, a buy of the other outcome too.
        // (The first fill of each trade's order, stored in this step or an earlier one: the
        // other fills share its fate.)
        var seen = Set<String>()
        let firsts = trades.compactMap { trade -> Trade? in
            guard let first = reads.order(of: trade)?.first, !first.late, seen.insert(first.id).inserted else { return nil }
            return first
        }
        reads.exits = try await WhaleExitStore.standings(of: firsts, followFrom: policy.minimumScore, on: connection, logger: logger)
        return reads
    }

    /// When we learned of a trade, in live mode: when the fetcher stored it. A replay learns of
    /// everything after the fact, by design; the stale check is live mode's.
    func detectedAt(_ stored: EventTime) -> EventTime? { mode == .live ? stored : nil }

    /// The trade's order; a trade not found with its order (not stored: it cannot happen on the
    /// database path) stands alone.
    func order(of trade: Trade) -> WhaleOrder? {
        orders[trade.id] ?? WhaleOrder([trade])
    }

    func quarantine(of trade: Trade) -> QuarantineEvent? { standings[trade.id]?.current }

    /// A followed whale's buy of one outcome while it holds the other: what it holds.
    func complementHeld(_ trade: Trade) -> (token: TokenID, outcome: Int, held: Shares)? {
        guard trade.side == .buy, let standing = exits[trade.id], standing.followed, let other = standing.complement,
            let exposure = SignalGate.netHeld(other.held, against: standing.positionBefore)
        else { return nil }
        return (other.token, other.outcome, exposure)
    }

    func verdict(_ trade: Trade, detectedAt stored: EventTime) -> Signal {
        let whale = scored.figures[trade.id]
        guard let order = order(of: trade), order.first.id == trade.id else {
            let order = orders[trade.id]!
            return SignalGate.partOfOrder(
                trade, whale: whale, quarantine: quarantine(of: trade), order: order, exit: complementHeld(order.first) != nil,
                policy: policy)
        }
        if let held = complementHeld(trade) {
            return SignalGate.complementExit(order.combined, whale: whale, held: held.held, heldToken: held.token, heldOutcome: held.outcome)
        }
        if trade.side == .sell {
            let standing = exits[trade.id]
            return SignalGate.exit(
                order.combined, whale: whale, followed: standing?.followed ?? false,
                positionBefore: standing?.positionBefore ?? .zero, otherOutcomeHeld: standing?.complement?.held ?? .zero, policy: policy)
        }
        return SignalGate.evaluate(
            order.combined, whale: whale, quarantine: quarantine(of: trade), market: markets[trade.id],
            copyAt: lag.copyInstant(ofFillAt: trade.timestamp), detectedAt: detectedAt(stored), policy: policy)
    }

    /// The quarantines and releases the decided trades' folds found, as `alert` records: one per
    /// event (its natural key), however many steps see it.
    func alerts(for trades: some Sequence<Trade>) throws -> [StreamRecord] {
        var events: [String: QuarantineEvent] = [:]
        for trade in trades {
            for event in standings[trade.id]?.events ?? [] { events[event.alertId] = event }
        }
        return try events.values.sorted { ($0.at, $0.alertId) < ($1.at, $1.alertId) }.map { event in
            try StreamRecord(stream: .alert, uid: event.alertId, key: event.wallet.rawValue, eventTime: event.at, payload: event.alert)
        }
    }
}
