public import RemoraModel

/// Cash out and cash in of one category during one day (buys with their fees; sale proceeds
/// after fees and resolution payouts).
public struct CategoryFlow: Sendable, Hashable, Codable {
    public var bought: USDC = .zero
    public var received: USDC = .zero
    public init(bought: USDC = .zero, received: USDC = .zero) {
        self.bought = bought
        self.received = received
    }
}

/// One book as the attributor follows it, from its own events: our book from the risk guard's
/// fills, a shadow book from the whales' orders. Cash, positions at their last mark, the day's
/// flows per category (what daily attribution needs), lots per whale, and what each closed
/// position and each whale earned. Exact to the micro-unit.
public struct AttributedBook: Sendable, Hashable, Codable {
    public var cash: USDC
    public var positions: [TokenID: BookPosition] = [:]
    /// Category of each held token (from the market it belongs to).
    public var categoryOf: [TokenID: String] = [:]
    /// Shares and cost per whale lot.
    public var lots: [WhaleHolding: Lot] = [:]
    /// The current day's flows per category.
    public var flows: [String: CategoryFlow] = [:]
    /// Proceeds − cost realized so far per open token (its win or loss once closed).
    public var realizedByToken: [TokenID: USDC] = [:]
    /// Realized P&L per whale copied (sales of its lots, resolutions of them).
    public var pnlByWhale: [WalletAddress: USDC] = [:]
    public var closedWins = 0
    public var closedLosses = 0
    public var fees: USDC = .zero
    /// Orders the book did not fill, by reason (shadow books: no liquidity, no cash, …).
    public var missed: [String: Int] = [:]
    public var fills = 0

    public struct Lot: Sendable, Hashable, Codable {
        public var shares: Shares
        public var cost: USDC
    }

    public init(cash: USDC) { self.cash = cash }

    public var exposure: USDC { positions.values.reduce(.zero) { $0 + $1.value } }
    public var nav: USDC { cash + exposure }
    /// Market value per category at the positions' current marks.
    public var valueByCategory: [String: USDC] {
        var values: [String: USDC] = [:]
        for (token, position) in positions { values[categoryOf[token] ?? "other", default: .zero] += position.value }
        return values
    }

    /// A buy filled: `cash` for `shares` plus `fee`, into the whale's lot.
    public mutating func bought(
        _ token: TokenID, market: ConditionID, outcomeIndex: Int, category: String, whale: WalletAddress,
        shares: Shares, cash spent: USDC, fee: USDC, mark: Price
    ) {
        guard shares.micros > 0 else { return }
        cash = cash - spent - fee
        var position = positions[token]
            ?? BookPosition(asset: token, conditionId: market, outcomeIndex: outcomeIndex, shares: .zero, cost: .zero, mark: mark)
        position.shares = position.shares + shares
        position.cost = position.cost + spent + fee
        position.mark = mark
        positions[token] = position
        categoryOf[token] = category
        let key = WhaleHolding(wallet: whale, asset: token)
        var lot = lots[key] ?? Lot(shares: .zero, cost: .zero)
        lot.shares = lot.shares + shares
        lot.cost = lot.cost + spent + fee
        lots[key] = lot
        flows[category, default: CategoryFlow()].bought += spent + fee
        fees += fee
        fills += 1
    }

    /// A sale filled out of the whale's lot: `shares` for `cash` gross, `fee` out of it. The
    /// position's cost leaves at its average (as in the risk guard's book), the lot's at its own.
    public mutating func sold(_ token: TokenID, whale: WalletAddress, shares: Shares, cash gross: USDC, fee: USDC, mark: Price) {
        guard var position = positions[token], shares.micros > 0 else { return }
        let sold = min(shares, position.shares)
        let proceeds = gross - fee
        let costOut = USDC(micros: mulDivRounded(position.cost.micros, sold.micros, position.shares.micros))
        cash = cash + proceeds
        let category = categoryOf[token] ?? "other"
        flows[category, default: CategoryFlow()].received += proceeds
        fees += fee
        fills += 1
        realizedByToken[token, default: .zero] += proceeds - costOut
        let key = WhaleHolding(wallet: whale, asset: token)
        if var lot = lots[key], lot.shares.micros > 0 {
            let lotSold = min(sold, lot.shares)
            let lotCost = USDC(micros: mulDivRounded(lot.cost.micros, lotSold.micros, lot.shares.micros))
            pnlByWhale[whale, default: .zero] += proceeds - lotCost
            lot.shares = lot.shares - lotSold
            lot.cost = lot.cost - lotCost
            lots[key] = lot.shares.micros > 0 ? lot : nil
        }
        position.shares = position.shares - sold
        position.cost = position.cost - costOut
        position.mark = mark
        if position.shares.micros > 0 {
            positions[token] = position
        } else {
            close(token)
        }
    }

    /// A market resolved: every held outcome pays 1, 0 or ½ per share, and closes.
    public mutating func resolve(_ resolution: MarketResolution) {
        for (token, position) in positions where position.conditionId == resolution.conditionId {
            let payout = resolution.outcome.payout(forOutcome: position.outcomeIndex)
            let proceeds = position.shares.value(at: payout)
            cash = cash + proceeds
            flows[categoryOf[token] ?? "other", default: CategoryFlow()].received += proceeds
            realizedByToken[token, default: .zero] += proceeds - position.cost
            for (key, lot) in lots where key.asset == token {
                pnlByWhale[key.wallet, default: .zero] += lot.shares.value(at: payout) - lot.cost
                lots[key] = nil
            }
            close(token)
        }
    }

    /// Marks every position at `marks` as of `time` (a token without a mark keeps its last).
    public mutating func mark(by marks: Marks, at time: EventTime) {
        for token in positions.keys {
            if let point = marks.mark(of: token, at: time) { positions[token]?.mark = point.price }
        }
    }

    private mutating func close(_ token: TokenID) {
        positions[token] = nil
        let realized = realizedByToken.removeValue(forKey: token) ?? .zero
        if realized.micros > 0 { closedWins += 1 } else { closedLosses += 1 }
        for key in lots.keys where key.asset == token { lots[key] = nil }
    }

    /// Shares of `token` held from `whale`.
    public func held(_ token: TokenID, from whale: WalletAddress) -> Shares {
        min(lots[WhaleHolding(wallet: whale, asset: token)]?.shares ?? .zero, positions[token]?.shares ?? .zero)
    }
}

extension AttributedBook {
    /// Our book follows the risk guard's decisions: each fill as the guard filled it.
    public mutating func apply(_ decision: OrderDecision, category: String) {
        guard decision.status == .filled, decision.fillShares.micros > 0 else { return }
        let mark = decision.bookMidpoint ?? decision.fillPrice
        switch decision.side {
        case .buy:
            bought(
                decision.asset, market: decision.conditionId, outcomeIndex: decision.outcomeIndex, category: category,
                whale: decision.wallet, shares: decision.fillShares, cash: decision.fillNotional, fee: decision.fee ?? .zero,
                mark: mark)
        case .sell:
            sold(decision.asset, whale: decision.wallet, shares: decision.fillShares, cash: decision.fillNotional,
                 fee: decision.fee ?? .zero, mark: mark)
        }
    }
}
