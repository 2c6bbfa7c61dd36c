// risk-guard — the only owner of the copy book. Decides every proposed order (a paper fill that
// walks the book of the copy instant, or blocked with a reason), marks the book through market
// data, applies market resolutions to open positions, and fails closed: if the book cannot be
// read, or the market has no usable order book, the order is blocked. Orders and resolutions are
// applied in event-time order; in strict mode (the default) only up to the upstream watermark,
// so the book is the same whatever the timing of the processes. The book's trading state (ACTIVE,
// REDUCING on its mVaR, HALTED by an operator) is measured at each decision and each change is an
// alert; operators' halts and resumes (`remora risk`) are events in the same order.
import Foundation
import Logging
import PostgresNIO
import RemoraBus
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import ServiceLifecycle
import Synchronization

await RemoraService.main(
    service: "risk-guard", summary: "decide proposed orders against the book, publish `order.decided`", httpPort: 7416,
    settings: [
        Setting("REMORA_INITIAL_CAPITAL", default: "100000", "starting cash of the paper book, USDC", kind: .usdc),
        Setting("REMORA_RISK_MAX_EXPOSURE", default: "0.95", "portfolio gate: open exposure after an order stays below this fraction of NAV", kind: .number(0...1)),
        Setting("REMORA_RISK_MAX_CORRELATION", default: "0.4", "portfolio gate: no order whose token correlates this much or more with a held position (30 days of daily returns; the same market, or the same negative-risk event, is 1)", kind: .number(0...1)),
        Setting("REMORA_RISK_MAX_CATEGORY", default: "0.30", "portfolio gate: a category's exposure after an order stays at or below this fraction of NAV", kind: .number(0...1)),
        Setting("REMORA_RISK_VAR_LIMIT", default: "0.08", "trading state: above this 1-day 99 % mVaR (fraction of NAV) the book goes REDUCING (exits only)", kind: .number(0...1)),
        Setting("REMORA_RISK_VAR_RESUME", default: "0.06", "trading state: a REDUCING book goes back to ACTIVE when its mVaR is under this fraction of NAV", kind: .number(0...1)),
        Setting("REMORA_RISK_VAR_DAYS", default: "60", "days of daily price changes behind the book's mVaR", kind: .integer(10...365)),
        Setting("REMORA_RISK_VAR_FLOOR_DAYS", default: "10", "the mVaR is at least the largest position's one-day move at 99 % as a price due to resolve within this many days (0: no floor)", kind: .integer(0...365)),
        Setting("REMORA_RISK_MAX_ORDER_USDC", default: "10000", "pre-trade: the most one entry spends, whatever NAV says (a clamp, after the 8 % of NAV cap)", kind: .usdc),
        Setting("REMORA_RISK_MAX_MARKET", default: "0.10", "pre-trade: a market's exposure after an entry stays at or below this fraction of NAV", kind: .number(0...1)),
        Setting("REMORA_RISK_MAX_WHALE", default: "0.20", "pre-trade: what the book holds copying one whale, after an entry, stays at or below this fraction of NAV", kind: .number(0...1)),
        Setting("REMORA_RISK_MAX_BOOK_AGE_S", default: "60", "pre-trade: an order book taken longer than this before the decision is not filled on (stale_book)", kind: .integer(1...86_400)),
        Setting("REMORA_RISK_PRICE_BAND", default: "0.10", "pre-trade: an entry takes only asks within this price of the midpoint (a partial fill beyond; price_band when none)", kind: .number(0...1)),
        Setting("REMORA_RISK_MAX_ENTRIES_PER_MINUTE", default: "30", "pre-trade: entries filled per minute of event time (order_rate beyond)", kind: .integer(1...100_000)),
        Setting("REMORA_RISK_DUPLICATE_WINDOW_S", default: "60", "pre-trade: a second entry of one whale in one token within this many seconds is a duplicate_order", kind: .integer(0...86_400)),
        Setting("REMORA_RISK_STOP_ATR", default: "2.5", "position controls: the trailing stop sits this many ATRs below the best mark since entry (0: no stops)", kind: .number(0...100)),
        Setting("REMORA_RISK_ATR_DAYS", default: "14", "position controls: daily true ranges averaged into the ATR", kind: .integer(2...60)),
        Setting("REMORA_RISK_EXIT_BEFORE_END_H", default: "24", "position controls: sell this many hours before the market's last order time; entries inside the window are refused (time_exit_window)", kind: .integer(0...720)),
        Setting("REMORA_RISK_CONTROL_INTERVAL_MIN", default: "60", "position controls: minutes between control instants (stops are checked on the mark then; time exits also run at their own instant)", kind: .integer(1...1440)),
        Setting("REMORA_RISK_CLOSE_QUARANTINED", default: "off", "position controls: sell a whale's copies at the first control instant it is in quarantine (the gate's REMORA_QUARANTINE_* rules, folded by the risk guard); off: they keep their stops and exits", kind: .choice(["on", "off"])),
        EventTimeMode.setting,
    ] + MarketDataSettings.settings + GateSettings.settings
) { environment in
    guard let capital = USDC(decimal: try environment.settings.string("REMORA_INITIAL_CAPITAL")), capital > .zero else {
        throw ConfigurationError.malformed("REMORA_INITIAL_CAPITAL", "expected a positive USDC amount")
    }
    let exposure = try environment.settings.double("REMORA_RISK_MAX_EXPOSURE", in: 0...1)
    let mode = try EventTimeMode(environment.settings)
    var valueAtRisk = VaRPolicy()
    valueAtRisk.reduceAbovePpm = Int64((try environment.settings.double("REMORA_RISK_VAR_LIMIT", in: 0...1) * 1_000_000).rounded())
    valueAtRisk.activeBelowPpm = Int64((try environment.settings.double("REMORA_RISK_VAR_RESUME", in: 0...1) * 1_000_000).rounded())
    valueAtRisk.windowDays = try environment.settings.int("REMORA_RISK_VAR_DAYS", in: 10...365)
    valueAtRisk.floorHorizonDays = try environment.settings.int("REMORA_RISK_VAR_FLOOR_DAYS", in: 0...365)
    guard valueAtRisk.activeBelowPpm <= valueAtRisk.reduceAbovePpm else {
        throw ConfigurationError.malformed("REMORA_RISK_VAR_RESUME", "must not be above REMORA_RISK_VAR_LIMIT")
    }
    var risk = RiskPolicy(
        maxExposurePpm: Int64((exposure * 1_000_000).rounded()),
        maxCorrelation: try environment.settings.double("REMORA_RISK_MAX_CORRELATION", in: 0...1),
        maxCategoryPpm: Int64((try environment.settings.double("REMORA_RISK_MAX_CATEGORY", in: 0...1) * 1_000_000).rounded()),
        valueAtRisk: valueAtRisk)
    guard let orderCap = USDC(decimal: try environment.settings.string("REMORA_RISK_MAX_ORDER_USDC")), orderCap > .zero else {
        throw ConfigurationError.malformed("REMORA_RISK_MAX_ORDER_USDC", "expected a positive USDC amount")
    }
    risk.maxOrderNotional = orderCap
    risk.maxMarketPpm = Int64((try environment.settings.double("REMORA_RISK_MAX_MARKET", in: 0...1) * 1_000_000).rounded())
    risk.maxWhalePpm = Int64((try environment.settings.double("REMORA_RISK_MAX_WHALE", in: 0...1) * 1_000_000).rounded())
    risk.maxBookAgeMillis = Int64(try environment.settings.int("REMORA_RISK_MAX_BOOK_AGE_S", in: 1...86_400)) * 1000
    risk.priceBandMicros = Int64((try environment.settings.double("REMORA_RISK_PRICE_BAND", in: 0...1) * 1_000_000).rounded())
    risk.maxEntriesPerMinute = try environment.settings.int("REMORA_RISK_MAX_ENTRIES_PER_MINUTE", in: 1...100_000)
    risk.duplicateWindowMillis = Int64(try environment.settings.int("REMORA_RISK_DUPLICATE_WINDOW_S", in: 0...86_400)) * 1000
    risk.controls = ControlPolicy(
        atrMultiple: try environment.settings.double("REMORA_RISK_STOP_ATR", in: 0...100),
        atrDays: try environment.settings.int("REMORA_RISK_ATR_DAYS", in: 2...60),
        exitBeforeEndMillis: Int64(try environment.settings.int("REMORA_RISK_EXIT_BEFORE_END_H", in: 0...720)) * 3_600_000,
        intervalMillis: Int64(try environment.settings.int("REMORA_RISK_CONTROL_INTERVAL_MIN", in: 1...1440)) * 60_000)
    risk.closeQuarantined = try environment.settings.string("REMORA_RISK_CLOSE_QUARANTINED") == "on"
    // The gate's quarantine rules, the same settings: the risk guard folds them for the whales it holds.
    let gate = try GateSettings.policy(environment.settings, mode: mode)
    let guardian = RiskGuardLoop(
        environment: environment, initialCash: capital, mode: mode,
        policy: risk, quarantine: gate.quarantineEnabled ? gate.quarantineRules : nil,
        marketData: try MarketDataSettings.source(environment, mode: mode),
        markPolicy: try MarketDataSettings.markPolicy(environment.settings))
    try await guardian.run()
}

struct RiskGuardLoop {
    let environment: StageEnvironment
    let initialCash: USDC
    let mode: EventTimeMode
    let policy: RiskPolicy
    /// The gate's quarantine rules (nil: quarantine off).
    let quarantine: QuarantinePolicy?
    let marketData: any MarketData
    let markPolicy: MarkPolicy
    /// Paper fills (walk the book of the instant, taker fee); a live executor plugs in here.
    let executor: any Executor = PaperExecutor()
    var logger: Logger { environment.logger }
    /// Orders decided per transaction at most.
    static let orderPage = 1000
    /// Control instants run per step at most (their marks are read for that span).
    static let controlSpan: Int64 = 7 * EventTime.day
    /// Books a control found missing, read in the next step.
    let carried = CarriedRequests()

    enum Event {
        case order(ProposedOrder, EventTime)
        case resolution(MarketResolution)
        /// An operator's halt or resume: in strict mode at its event time (first at equal times);
        /// in live mode before anything the step decides (it means "from now").
        case action(RiskAction, live: Bool)
        var time: EventTime {
            switch self {
            case .order(_, let t): t
            case .resolution(let r): r.resolvedAt
            case .action(let a, _): a.at
            }
        }
        var isOrder: Bool {
            if case .order = self { return true }
            return false
        }
        /// A live operator action: applied first, whatever its time.
        var isLive: Bool {
            if case .action(_, let live) = self { return live }
            return false
        }
        /// Resolutions first at equal times: a market that resolved cannot take new orders.
        var rank: (Int64, Int, String) {
            switch self {
            case .order(let o, let t): (t.millis, 1, o.orderId)
            case .resolution(let r): (r.resolvedAt.millis, 0, r.conditionId.rawValue)
            case .action(let a, let live): (live ? Int64.min : a.at.millis, -1, String(format: "%020lld", a.id))
            }
        }
    }

    func run() async throws {
        // The bus only wakes us up; what to decide is always read from the database.
        let subscription = try BusSubscription(
            context: environment.zmq, endpoints: environment.bus, streams: [.orderProposed, .marketResolved],
            partitions: Array(0..<StreamName.partitionCount))
        defer { subscription.stop() }
        var backoff = RetryBackoff()
        var ready = false
        for await _ in subscription.batches.cancelOnGracefulShutdown() {
            do {
                try await decideReady()
                backoff.succeeded("decision step", logger: logger)
                if !ready {
                    environment.readiness.markReady()
                    ready = true
                }
            } catch {
                environment.metrics.error("database")
                await backoff.failed("decision step", error: error, logger: logger)
            }
        }
    }

    /// Decides everything the watermarks allow, in batches.
    func decideReady() async throws {
        while try await step() {}
    }

    /// A page of pending events in event-time order: undecided orders up to the horizon, and the
    /// resolutions they must see first.
    struct Page {
        var events: [Event] = []
        var resolvedMarkets = Set<String>()
        var orderCount = 0
        var full: Bool { orderCount == RiskGuardLoop.orderPage }
    }

    /// One step: market data first, with no transaction open and no lock held (a slow or faulted
    /// CLOB must not hold the book's lock nor a database session), then one transaction in six
    /// round trips: BEGIN, load and lock the book, read what is pending, decide in memory, one
    /// `remora_commit_decisions` call (migration 0004), COMMIT. The position controls' instants
    /// (stops, time exits: docs/risk.md) run among the page's events in event-time order.
    private func step() async throws -> Bool {
        let started = ContinuousClock.now
        // Live mode's controls run up to now: read once, an input like any other.
        let now = EventTime.wallClockNow
        // What the page will need: read without locking, then fetched outside any transaction.
        let (horizon, preview, held, lots, controlled) = try await environment.store.transaction {
            connection -> (EventTime, Page, [TokenID], Set<WhaleHolding>, EventTime?) in
            let book = try? await BookStore.load(initialCash: initialCash, lock: false, on: connection, logger: logger)
            // Strict: only what every upstream partition vouches for. Live: everything stored.
            let horizon = mode == .live ? EventTime(millis: Int64.max) : try await upstreamHorizon(on: connection)
            return (
                horizon, try await pending(upTo: horizon, on: connection), book.map { Array($0.positions.keys) } ?? [],
                Set(book?.fromWhales.filter { $0.value.micros > 0 }.keys ?? [:].keys), book?.controlledThrough)
        }
        // Where this step's controls end: the page's end (strict: the horizon, or the last order of
        // a full page; live: now — never ahead of the clock), and at most a week of control
        // instants after the last one run (the series that mark them are read for that span). A
        // book that never ran one starts before its first event (the same event in every run).
        let lastEvent = preview.events.last?.time
        let pageEnd = mode == .live ? now : (preview.full ? lastEvent! : horizon)
        // Live mode decides now: after a stop of the service the instants it missed collapse into
        // the latest (no sale back-dated to an old instant on today's books).
        let liveFloor = mode == .live ? PositionControls.lastInstant(atOrBefore: now, policy: policy.controls).adding(millis: -1) : nil
        let controlFrom = (controlled ?? preview.events.first.map { $0.time.adding(millis: -1) }).map { from in
            liveFloor.map { max(from, $0) } ?? from
        }
        let limit = controlFrom.map { min(pageEnd, $0.adding(millis: Self.controlSpan)) } ?? pageEnd
        // Nothing pending: no market data, but the watermark still moves under the book's lock below.
        // An exit needs a book only for a token held from its whale, or bought from it earlier in
        // the page: the core decides any other exit `nothing_held` without reading one.
        var bought = lots
        for case .order(let order, _) in preview.events where order.exitFractionPpm == nil {
            bought.insert(WhaleHolding(wallet: order.wallet, asset: order.asset))
        }
        let owed = bought
        func needsBook(_ order: ProposedOrder) -> Bool {
            order.exitFractionPpm == nil || owed.contains(WhaleHolding(wallet: order.wallet, asset: order.asset))
        }
        var wanted = preview.events.compactMap { event -> MarketDataBatch.BookRequest? in
            if case .order(let order, let time) = event, mode == .live || time <= limit, needsBook(order) {
                return .init(id: order.orderId, token: order.asset, time: time, market: order.conditionId)
            }
            return nil
        }
        // The books a control of the last step found missing (a stop or a time exit to fill).
        wanted += carried.requests.filter { request in controlFrom.map { request.time > $0 } ?? false && request.time <= limit }
        let gathering = ContinuousClock.now
        // Series for the control instants: always in strict mode (what a control reads must not
        // depend on the step), in live mode only when a grid instant is due (not on every tick).
        let span = controlFrom.flatMap { from -> ClosedRange<EventTime>? in
            guard from < limit else { return nil }
            if mode == .live, PositionControls.lastInstant(atOrBefore: limit, policy: policy.controls) <= from { return nil }
            return from...limit
        }
        let market = try await MarketDataBatch.gather(
            books: wanted, markTokens: held, source: marketData, policy: markPolicy, mode: mode, logger: logger,
            dailyDays: max(policy.valueAtRisk.windowDays, policy.controls.atrDays + 1), span: span)

        let marketDataTime = ContinuousClock.now - gathering
        let (stored, more) = try await environment.store.transaction { connection -> ([StoredMessage], Bool) in
            // The book first, locked: one risk guard at a time decides (a second instance waits here).
            var book: Book?
            do { book = try await BookStore.load(initialCash: initialCash, lock: true, on: connection, logger: logger) } catch {
                logger.critical("book unreadable: failing closed", metadata: ["error": "\(describe(error))"])
            }
            // Another instance ran controls or bought since the preview: the marks read may not
            // cover what the book holds now. Read again.
            if let book, book.controlledThrough != controlled || Set(book.positions.keys) != Set(held) { return ([], true) }
            // The first control instant of a book that never ran one is after this point, kept
            // with the book from now on: every run counts its instants from the same place.
            if book?.controlledThrough == nil, let from = controlFrom { book?.controlledThrough = from }
            // Read again under the lock, up to the same horizon: another instance may have decided
            // part of the page meanwhile. An order whose market data was not fetched (it joined
            // the page since) ends this step; it is decided in the next, in order.
            var page = try await pending(upTo: horizon, on: connection)
            // The operators' actions not applied yet, up to where this page ends (all of them live).
            if let book {
                let bound = page.full ? page.events.last?.time : horizon
                let actions = try await RiskStore.pending(
                    after: book.actionsThrough, upTo: mode == .live ? nil : bound, on: connection, logger: logger)
                page.events += actions.map { .action($0, live: mode == .live) }
                page.events.sort { $0.rank < $1.rank }
            }
            // Events after the step's end wait for the next step.
            var cut = false
            var end = limit
            if let first = page.events.firstIndex(where: { event in
                if mode == .strict, event.time > limit { return true }
                if case .order(let order, _) = event { return needsBook(order) && market.books[order.orderId] == nil }
                return false
            }) {
                end = min(end, page.events[first].time)
                page.events.removeSubrange(first...)
                cut = true
            }
            guard !page.events.isEmpty || !(book?.positions.isEmpty ?? true) else {
                // Nothing held, nothing to decide: the control cursor moves on to the step's end.
                if var idle = book, let from = idle.controlledThrough ?? controlFrom {
                    let grid = PositionControls.lastInstant(atOrBefore: end, policy: policy.controls)
                    if grid > from {
                        idle.controlledThrough = grid
                        try await BookStore.saveState(idle, on: connection, logger: logger)
                    }
                }
                if !cut, mode == .strict { try await advanceWatermark(to: horizon, on: connection) }
                return ([], cut)
            }
            var resolvedMarkets = page.resolvedMarkets
            // Categories, negative-risk events and the terms over time of the page's markets and the held ones.
            var markets = (book?.positions.values.map(\.conditionId)) ?? []
            for case .order(let order, _) in page.events { markets.append(order.conditionId) }
            let groups = try await BookStore.marketGroups(markets, on: connection, logger: logger)
            let schedule = try await MarketTermsStore.schedule(of: markets, on: connection, logger: logger)
            // The score histories of the whales held and of the page's entries, through the step's end.
            var view: QuarantineView?
            if let quarantine, book != nil {
                var wallets = Set(book?.fromWhales.keys.map(\.wallet) ?? [])
                for case .order(let order, _) in page.events where order.exitFractionPpm == nil { wallets.insert(order.wallet) }
                let through = end.adding(millis: 1)
                let history = try await QuarantineStore.history(
                    before: Dictionary(uniqueKeysWithValues: wallets.map { ($0, through) }), on: connection, logger: logger)
                view = QuarantineView(points: history.points, approvals: history.approvals, policy: quarantine, horizon: end)
            }
            var records: [StreamRecord] = []
            var decided: [String] = []
            var applied: [MarketResolution] = []
            var audit: [AuditChain.Entry] = []
            var asOf: EventTime?
            var needed: [MarketDataBatch.BookRequest] = []
            func alert(_ change: TradingStateChange?) throws {
                guard let change else { return }
                audit.append(try AuditChain.entry(.tradingState, at: change.at, change))
                logger.notice(
                    "trading state", metadata: ["from": "\(change.from.rawValue)", "to": "\(change.to.rawValue)", "cause": "\(change.cause)"])
                records.append(try StreamRecord(
                    stream: .alert, uid: change.alertId, key: "book", eventTime: change.at, payload: change.alert))
            }
            func record(_ decision: OrderDecision, at time: EventTime) throws {
                audit.append(try AuditChain.entry(.decision, at: time, decision))
                records.append(try StreamRecord(
                    stream: .orderDecided, uid: decision.orderId, key: decision.wallet.rawValue, eventTime: time, payload: decision))
                asOf = max(asOf ?? time, time)
            }
            /// The control instants up to `bound` (at it too when `inclusive`: controls run after
            /// actions and resolutions of their instant, before its orders). False when a control
            /// needs a book not read: it and everything after wait for the next step.
            func controls(through bound: EventTime, inclusive: Bool) throws -> Bool {
                while let current = book, let cursor = current.controlledThrough ?? controlFrom {
                    let from = liveFloor.map { max(cursor, $0) } ?? cursor
                    let last = inclusive ? bound : bound.adding(millis: -1)
                    if current.positions.isEmpty {
                        // Nothing to control: on to the last instant of the grid.
                        let grid = PositionControls.lastInstant(atOrBefore: last, policy: policy.controls)
                        if grid > from { book?.controlledThrough = grid }
                        return true
                    }
                    let instant = PositionControls.nextInstant(after: from, book: current, schedule: schedule, policy: policy.controls)
                    guard instant <= last else { return true }
                    let ids = Dictionary(uniqueKeysWithValues: current.positions.keys.map { ($0, "control:\($0):\(instant.millis)") })
                    let control = RiskGuard.control(
                        current, at: instant, policy: policy, marks: market.marks, daily: market.daily, schedule: schedule,
                        books: ids.compactMapValues { market.books[$0] }, takerFeeBps: ids.compactMapValues { market.takerFeeBps[$0] },
                        executor: executor, quarantine: view)
                    if !control.needs.isEmpty {
                        needed = control.needs.map {
                            .init(id: ids[$0]!, token: $0, time: instant, market: current.positions[$0]?.conditionId)
                        }
                        return false
                    }
                    book = control.book
                    for event in control.quarantineEvents {
                        audit.append(try AuditChain.entry(.quarantine, at: event.at, event))
                    }
                    for decision in control.decisions {
                        logger.notice(
                            "position control",
                            metadata: [
                                "trigger": "\(decision.trigger?.rawValue ?? "")", "asset": "\(decision.asset)",
                                "wallet": "\(decision.wallet)", "status": "\(decision.status.rawValue)",
                                "shares": "\(decision.fillShares)", "detail": "\(decision.detail ?? "")",
                            ])
                        try record(decision, at: instant)
                    }
                }
                return true
            }
            var complete = true
            for event in page.events {
                // A live operator action means "now": it waits for no control instant. Live orders
                // are not held back to the clock; the controls before them stop at it.
                guard try event.isLive || controls(through: min(event.time, limit), inclusive: event.isOrder || event.time > limit)
                else {
                    complete = false
                    break
                }
                switch event {
                case .action(let action, _):
                    guard let current = book else { continue }  // applied once the book is readable again
                    let (next, change) = RiskGuard.apply(action, to: current)
                    book = next
                    audit.append(try AuditChain.entry(.operatorAction, at: action.at, AuditChain.Action(action)))
                    try alert(change)
                case .order(let order, let time):
                    let before = book
                    let (decision, next) = RiskGuard.decide(
                        order, book: book, policy: policy, at: time,
                        marketResolved: resolvedMarkets.contains(order.conditionId.rawValue),
                        market: market.books[order.orderId] ?? .failure(.unavailable("no book read: the token was not held")),
                        marks: market.marks, daily: market.daily, groups: groups,
                        takerFeeBps: market.takerFeeBps[order.orderId] ?? 0, schedule: schedule, executor: executor)
                    if let detail = decision.detail {
                        logger.info("order blocked", metadata: ["order": "\(order.orderId)", "reason": "\(decision.reason)", "detail": "\(detail)"])
                    }
                    book = next
                    // The state the decision was measured into comes first: the decision was taken in it.
                    try alert(RiskGuard.stateChange(
                        from: before, to: next, at: time,
                        cause: decision.bookVaR.map { loss in
                            next?.tradingState == .reducing
                                ? "mVaR \(percent(loss)) of NAV above \(percent(policy.valueAtRisk.reduceAbovePpm)): exits only"
                                : "mVaR \(percent(loss)) of NAV under \(percent(policy.valueAtRisk.activeBelowPpm))"
                        } ?? "mVaR not measured"))
                    decided.append(decision.orderId)
                    try record(decision, at: time)
                case .resolution(let resolution):
                    guard let current = book else { continue }  // applied once the book is readable again
                    book = RiskGuard.apply(resolution, to: current)
                    // In the chain when it closed something: the book's history, not the market list's.
                    if current.positions.values.contains(where: { $0.conditionId == resolution.conditionId }) {
                        audit.append(try AuditChain.entry(.resolution, at: resolution.resolvedAt, resolution))
                    }
                    resolvedMarkets.insert(resolution.conditionId.rawValue)
                    applied.append(resolution)
                }
                asOf = max(asOf ?? event.time, event.time)
            }
            if complete { complete = try controls(through: end, inclusive: true) }
            // Books still wanted for the instant that ended the step, kept with any asked before for it.
            carried.requests = needed.isEmpty ? [] : needed + carried.requests.filter { previous in
                previous.time == needed[0].time && !needed.contains { $0.token == previous.token }
            }
            var watermarks: [StreamName: [Int: EventTime]] = [:]
            if !page.full, !cut, complete, mode == .strict {
                watermarks[.orderDecided] = Dictionary(uniqueKeysWithValues: (0..<StreamName.partitionCount).map { ($0, end) })
            }
            let batch = StreamStore.AppendBatch(records, watermarks: watermarks, producedAt: .wallClockNow)
            let positions = (book?.positions.values).map { $0.sorted { $0.asset < $1.asset } } ?? []
            if let book { try await BookStore.saveState(book, on: connection, logger: logger) }
            // The audit chain, extended under the book's lock (the single writer).
            _ = try await AuditStore.append(
                audit, after: try await AuditStore.head(on: connection, logger: logger), on: connection, logger: logger)
            let rows = try await connection.query(
                """
                SELECT * FROM remora_commit_decisions(
                    \(applied.map(\.conditionId.rawValue)), \(applied.map(\.resolvedAt.millis)), \(decided),
                    \(book?.cash.micros ?? 0), \(book?.realizedPnl.micros ?? 0), \(book == nil ? nil : asOf?.millis),
                    \(positions.map(\.asset)), \(positions.map(\.conditionId.rawValue)), \(positions.map(\.outcomeIndex))::int[],
                    \(positions.map(\.shares.micros)), \(positions.map(\.cost.micros)), \(positions.map(\.mark.micros)),
                    \(batch.streams), \(batch.partitions)::int[], \(batch.uids), \(batch.keys), \(batch.eventTimes),
                    \(batch.payloads), \(batch.producedAt), \(batch.markStreams), \(batch.markPartitions)::int[],
                    \(batch.markTimes))
                """, logger: logger)
            return (try await batch.stored(from: rows), page.full || cut || !complete || limit < pageEnd)
        }
        try environment.publisher.publish(stored)
        environment.metrics.published(.orderDecided, count: stored.filter { $0.stream == .orderDecided }.count)
        environment.metrics.processed(batchOf: stored.count, duration: .now - started)
        if !stored.isEmpty {
            let stored = stored.filter { $0.stream == .orderDecided }
            let filled = stored.filter { $0.payload.contains("\"status\":\"filled\"") }.count
            logger.info(
                "decided",
                metadata: [
                    "stream": "order.decided", "orders": "\(stored.count)", "filled": "\(filled)",
                    "market_data_s": "\(String(format: "%.2f", marketDataTime.inSeconds))",
                    "tokens": "\(market.marks.series.count)",
                ])
        }
        return more
    }

    /// One statement, so one snapshot: a page of undecided orders (each with whether its market's
    /// resolution is already in the book), then the unapplied resolutions up to the horizon, or
    /// only up to the page's last order when the page is full (the rest next step).
    private func pending(upTo horizon: EventTime, on connection: PostgresConnection) async throws -> Page {
        let rows = try await connection.query(
            """
            WITH page AS (
                SELECT o.payload::text AS payload, o.event_time, o.uid,
                       EXISTS (SELECT 1 FROM book_resolutions b WHERE b.condition_id = o.payload->>'conditionId') AS resolved
                FROM orders o
                WHERE NOT o.decided AND o.event_time <= \(horizon.millis)
                ORDER BY o.event_time, o.uid COLLATE "C" LIMIT \(Self.orderPage)
            ), bound AS (
                SELECT CASE WHEN count(*) = \(Self.orderPage) THEN max(p.event_time) ELSE \(horizon.millis) END AS t FROM page p
            )
            SELECT true, p.payload, p.event_time, p.resolved FROM page p
            UNION ALL
            SELECT false, r.payload::text, r.event_time, false FROM market_resolutions r, bound
            WHERE r.event_time <= bound.t
              AND NOT EXISTS (SELECT 1 FROM book_resolutions b WHERE b.condition_id = r.uid)
            """, logger: logger)
        var page = Page()
        for try await (isOrder, text, time, resolved) in rows.decode((Bool, String, Int64, Bool).self) {
            if isOrder {
                let order = try JSONCoding.decoder.decode(ProposedOrder.self, from: Data(text.utf8))
                if resolved { page.resolvedMarkets.insert(order.conditionId.rawValue) }
                page.events.append(.order(order, EventTime(millis: time)))
                page.orderCount += 1
            } else {
                page.events.append(.resolution(try JSONCoding.decoder.decode(MarketResolution.self, from: Data(text.utf8))))
            }
        }
        page.events.sort { $0.rank < $1.rank }
        return page
    }

    /// min over partitions of the order.proposed and market.resolved watermarks, in one statement.
    private func upstreamHorizon(on connection: PostgresConnection) async throws -> EventTime {
        let rows = try await connection.query(
            """
            SELECT coalesce(min(watermark), \(Int64.min)) FROM stream_heads
            WHERE stream IN (\(StreamName.orderProposed.rawValue), \(StreamName.marketResolved.rawValue))
            """, logger: logger)
        for try await horizon in rows.decode(Int64.self) { return EventTime(millis: horizon) }
        return EventTime(millis: Int64.min)
    }

    func percent(_ ppm: Int64) -> String { percent(Double(ppm) / 1_000_000) }
    func percent(_ fraction: Double) -> String { "\((fraction * 10_000).rounded() / 100) %" }

    private func advanceWatermark(to time: EventTime, on connection: PostgresConnection) async throws {
        _ = try await StreamStore.append(
            [], watermarks: [.orderDecided: (Array(0..<StreamName.partitionCount), time)], producedAt: .wallClockNow,
            on: connection, logger: logger)
    }
}

/// The books a control instant needed and did not have: the next step reads them (a stop or a
/// time exit is decided only with the book of its instant).
final class CarriedRequests: Sendable {
    private let slot = Mutex<[MarketDataBatch.BookRequest]>([])
    var requests: [MarketDataBatch.BookRequest] {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
