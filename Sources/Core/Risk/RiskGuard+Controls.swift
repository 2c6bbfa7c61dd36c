public import RemoraModel

extension RiskGuard {
    /// What a control instant decided.
    public struct Control: Sendable {
        /// The book after it (unchanged, with the cursor where it was, when `needs` is not empty).
        public var book: Book
        /// One sale per whale a sold position was bought for, filled or blocked with its reason.
        public var decisions: [OrderDecision]
        /// When a token to sell has no order book of the instant in `books`: every token the
        /// instant sells. Nothing was decided; the caller reads their books and runs it again.
        public var needs: [TokenID]
        /// Quarantines and releases, since the last control instant, of the whales the book holds
        /// copies of (in time order): the audit chain's.
        public var quarantineEvents: [QuarantineEvent] = []
    }

    /// A control instant (docs/risk.md, "Stops and time exits"): marks the book, moves its
    /// trailing stops up, and sells each position a stop or the time exit names, whole, one sale
    /// per whale it was bought for (lots in wallet order), through the same exit path, checks
    /// and fee as a mirrored exit. The sales walk the token's book of the instant in turn: what
    /// one took is gone for the next. A HALTED book decides nothing (its stops wait for the
    /// resume); a REDUCING one sells as any book does.
    public static func control(
        _ book: Book, at time: EventTime, policy: RiskPolicy, marks: Marks, daily: Marks, schedule: MarketSchedule,
        books: [TokenID: Result<OrderBook, MarketDataProblem>], takerFeeBps: [TokenID: Int] = [:],
        executor: any Executor = PaperExecutor(), quarantine: QuarantineView? = nil
    ) -> Control {
        var advanced = book
        advanced.controlledThrough = time
        // The quarantine of the whales held, folded through the instant.
        var events: [QuarantineEvent] = []
        var quarantined = Set<WalletAddress>()
        if let quarantine {
            for wallet in Set(book.fromWhales.filter { $0.value.micros > 0 }.map(\.key.wallet)).sorted(by: { $0.rawValue < $1.rawValue }) {
                let standing = quarantine.standing(of: wallet, through: time)
                if let since = book.controlledThrough { events += standing.events.filter { $0.at > since } }
                if standing.current != nil { quarantined.insert(wallet) }
            }
            events.sort { ($0.at, $0.alertId) < ($1.at, $1.alertId) }
        }
        guard book.halt == nil else { return Control(book: advanced, decisions: [], needs: [], quarantineEvents: events) }
        var (checked, sell) = PositionControls.check(
            advanced, at: time, marks: marks, daily: daily, schedule: schedule, policy: policy.controls)
        // A quarantined whale's lots, with the setting on, in positions no stop or time exit sells whole.
        if policy.closeQuarantined {
            let whole = Set(sell.map(\.asset))
            for (holding, shares) in book.fromWhales.sorted(by: { ($0.key.asset, $0.key.wallet.rawValue) < ($1.key.asset, $1.key.wallet.rawValue) })
            where shares.micros > 0 && quarantined.contains(holding.wallet) && !whole.contains(holding.asset)
                && book.positions[holding.asset].map({ schedule.open($0.conditionId, at: time) }) == true
            {
                let since = quarantine?.standing(of: holding.wallet, through: time).current?.at
                sell.append(PositionControls.Sale(
                    asset: holding.asset, trigger: .quarantine, detail: "the whale is in quarantine since \(since?.utcText ?? "?")",
                    wallet: holding.wallet))
            }
        }
        // Every token the instant sells, when one of their books is missing: the next try asks
        // for all of them at once (asking only for the missing ones could alternate forever).
        let needs = sell.contains(where: { books[$0.asset] == nil }) ? Array(Set(sell.map(\.asset))).sorted() : []
        guard needs.isEmpty else { return Control(book: book, decisions: [], needs: needs, quarantineEvents: []) }
        var next = checked.peaked()
        var decisions: [OrderDecision] = []
        var walked: [TokenID: Result<OrderBook, MarketDataProblem>] = books
        for sale in sell {
            let (asset, trigger, why) = (sale.asset, sale.trigger, sale.detail)
            guard let position = next.positions[asset] else { continue }
            var market = walked[asset]!
            let lots = next.fromWhales.filter { lot in
                lot.key.asset == asset && lot.value.micros > 0 && (sale.wallet.map { $0 == lot.key.wallet } ?? true)
            }.map(\.key.wallet).sorted { $0.rawValue < $1.rawValue }
            for wallet in lots {
                let order = ProposedOrder(
                    orderId: "\(trigger.rawValue):\(asset):\(time.millis):\(wallet.rawValue)", tradeId: "", wallet: wallet,
                    conditionId: position.conditionId, asset: asset, outcomeIndex: position.outcomeIndex, side: .sell,
                    limitPrice: position.mark, fractionPpm: 0, tradeTime: time, exitFractionPpm: 1_000_000)
                let before = next
                var (decision, after) = exit(
                    order, fractionPpm: 1_000_000, book: next, at: time, market: market, marks: marks,
                    takerFeeBps: takerFeeBps[asset] ?? 0, executor: executor, policy: policy,
                    blocked: { reason, detail, same in
                        (OrderDecision(
                            orderId: order.orderId, tradeId: "", wallet: wallet, conditionId: order.conditionId, asset: asset,
                            outcomeIndex: order.outcomeIndex, side: .sell, status: .blocked, reason: reason,
                            fillPrice: order.limitPrice, fillShares: .zero, fillNotional: .zero, navBefore: before.nav,
                            decidedAt: time, bookMidpoint: try? market.get().midpoint, detail: detail), same)
                    })
                decision.trigger = trigger
                if decision.status == .filled, decision.reason == "exit" { decision.reason = trigger.rawValue }
                decision.detail = [why, decision.detail].compactMap { $0 }.joined(separator: "; ")
                decision.tradingState = before.tradingState
                decisions.append(decision)
                next = after ?? before
                if decision.status == .filled, case .success(let taken) = market {
                    market = taken.taking(.sell, shares: decision.fillShares).map { .success($0) }
                        ?? .failure(.noBook(asset, detail: "the earlier sales of this instant took every bid"))
                }
            }
            walked[asset] = market
        }
        return Control(book: next.pruningStops(), decisions: decisions, needs: [], quarantineEvents: events)
    }
}

extension OrderBook {
    /// The book once a taker of `side` took `shares` from the best levels down (nil: the side is
    /// gone). A paper fill does not move the market's book; the next sale of the same instant
    /// must not take the same shares again.
    public func taking(_ side: Side, shares: Shares) -> OrderBook? {
        var left = shares.micros
        var remaining: [DepthLevel] = []
        for level in levels(takenBy: side) {
            let taken = min(left, level.size.micros)
            left -= taken
            if level.size.micros > taken { remaining.append(DepthLevel(price: level.price, size: Shares(micros: level.size.micros - taken))) }
        }
        guard var next = try? OrderBook(
            bids: side == .sell ? remaining : bids, asks: side == .buy ? remaining : asks, tick: tick, minimumOrder: minimumOrder,
            lastTradePrice: lastTradePrice)
        else { return nil }
        next.asOf = asOf
        return next
    }
}
