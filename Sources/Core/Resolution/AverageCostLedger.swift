public import RemoraModel

/// One wallet's holding of one outcome token, by average cost.
public struct WalletPosition: Sendable, Hashable {
    public var wallet: WalletAddress
    public var conditionId: ConditionID
    public var outcomeIndex: Int
    /// Shares held now (zero once the market has resolved: they were paid out).
    public var shares: Shares = .zero
    /// What the held shares cost, fees excluded.
    public var cost: USDC = .zero
    /// Realized P&L before fees: sales against the average cost, then the payout at resolution.
    public var realized: USDC = .zero
    /// Taker fees paid on this outcome's fills.
    public var fees: USDC = .zero
    public var fills = 0
    /// Shares sold beyond what the listed trades bought (acquired by split, conversion or
    /// transfer, which `/trades` does not list): realized at zero cost and counted here.
    public var unmatchedSold: Shares = .zero
    public var resolved = false
    /// Event time of the last fill or of the resolution applied.
    public var through: EventTime = EventTime(millis: 0)

    public init(wallet: WalletAddress, conditionId: ConditionID, outcomeIndex: Int) {
        self.wallet = wallet
        self.conditionId = conditionId
        self.outcomeIndex = outcomeIndex
    }

    /// Realized P&L net of fees: what the wallet's accounting books.
    public var realizedNet: USDC { realized - fees }
}

/// Per-wallet position accounting by average cost, as the issue and the simulator's ledger
/// define it: a buy adds its shares and cost; a sale realizes `proceeds − average cost of the
/// shares sold` at the sale price, when it happens; a resolution pays 1, 0 or 0.5 a held share;
/// fees are the market's taker fee, on taker fills only (unknown roles pay it). Amounts are exact
/// micro-USDC, truncated toward zero as the exchange's settlement does.
///
/// The ledger is rebuilt from a position's whole fill history in event order rather than
/// updated in place, so a fill that arrives late (a backfilled gap) lands where it belongs.
public enum AverageCostLedger {
    /// Replays fills (any order; sorted here by event time, then the given order) into one
    /// position per outcome of each wallet, then applies the market's resolution if any.
    public static func positions(
        of fills: [Trade], market: Market?, resolution: MarketResolution?
    ) -> [WalletPosition] {
        let feePpm = market?.takerFeePpm ?? 0
        // Fills in time order (stable); stored fills usually come sorted already. Indices, not
        // copies: a fill holds several strings.
        var order = Array(fills.indices)
        if !zip(fills, fills.dropFirst()).allSatisfy({ $0.timestamp <= $1.timestamp }) {
            order.sort { (fills[$0].timestamp, $0) < (fills[$1].timestamp, $1) }
        }
        // Positions in order of first fill; the key's hash leaves out the market (usually one for
        // every fill) but equality does not.
        var slots: [LedgerKey: Int] = [:]
        var positions: [WalletPosition] = []
        for index in order {
            let fill = fills[index]
            let key = LedgerKey(wallet: fill.wallet, conditionId: fill.conditionId, outcomeIndex: fill.outcomeIndex)
            let slot: Int
            if let known = slots[key] {
                slot = known
            } else {
                slot = positions.count
                slots[key] = slot
                positions.append(WalletPosition(wallet: fill.wallet, conditionId: fill.conditionId, outcomeIndex: fill.outcomeIndex))
            }
            apply(fill, feePpm: feePpm, to: &positions[slot])
        }
        if let resolution {
            for slot in positions.indices { resolve(&positions[slot], with: resolution) }
        }
        return positions
    }

    private struct LedgerKey: Hashable {
        var wallet: WalletAddress
        var conditionId: ConditionID
        var outcomeIndex: Int

        func hash(into hasher: inout Hasher) {
            hasher.combine(wallet)
            hasher.combine(outcomeIndex)
        }
    }

    /// One fill into its position.
    public static func apply(_ fill: Trade, feePpm: Int64, to position: inout WalletPosition) {
        let cash = truncatedValue(fill.size, at: fill.price)
        switch fill.side {
        case .buy:
            position.shares = position.shares + fill.size
            position.cost = position.cost + cash
        case .sell:
            let sold = min(fill.size.micros, position.shares.micros)
            let basis = position.shares.micros > 0
                ? USDC(micros: mulDivTruncated(position.cost.micros, sold, position.shares.micros)) : .zero
            position.realized = position.realized + cash - basis
            position.shares = Shares(micros: position.shares.micros - sold)
            position.cost = position.cost - basis
            position.unmatchedSold = Shares(micros: position.unmatchedSold.micros + fill.size.micros - sold)
        }
        if fill.role.paysTakerFee {
            position.fees = position.fees + Settlement.takerFee(size: fill.size, price: fill.price, feePpm: feePpm)
        }
        position.fills += 1
        position.through = max(position.through, fill.timestamp)
    }

    /// The market resolved: held shares are paid out and the position closes.
    public static func resolve(_ position: inout WalletPosition, with resolution: MarketResolution) {
        guard !position.resolved else { return }
        let payout = resolution.outcome.payout(forOutcome: position.outcomeIndex)
        position.realized = position.realized + truncatedValue(position.shares, at: payout) - position.cost
        position.shares = .zero
        position.cost = .zero
        position.resolved = true
        position.through = max(position.through, resolution.resolvedAt)
    }

    /// Per-wallet totals of realized P&L net of fees.
    public static func realizedByWallet(_ positions: [WalletPosition]) -> [WalletAddress: USDC] {
        positions.reduce(into: [:]) { totals, position in
            totals[position.wallet, default: .zero] = totals[position.wallet, default: .zero] + position.realizedNet
        }
    }

    static func truncatedValue(_ shares: Shares, at price: Price) -> USDC { shares.value(at: price) }
}

public struct PositionKey: Sendable, Hashable {
    public var wallet: WalletAddress
    public var conditionId: ConditionID
    public var outcomeIndex: Int
    public init(wallet: WalletAddress, conditionId: ConditionID, outcomeIndex: Int) {
        self.wallet = wallet
        self.conditionId = conditionId
        self.outcomeIndex = outcomeIndex
    }
}
