public import RemoraModel

/// What Gamma says about a market's result, reduced to what the rule reads.
public struct MarketReport: Sendable, Equatable {
    public var closed: Bool
    /// The oracle's current status: `proposed`, `disputed`, `resolved` (nil before a proposal).
    public var umaStatus: String?
    /// Parsed `outcomePrices` as decimal text.
    public var outcomePrices: [String]
    public init(closed: Bool, umaStatus: String?, outcomePrices: [String]) {
        self.closed = closed
        self.umaStatus = umaStatus
        self.outcomePrices = outcomePrices
    }
}

/// The answer of the rule.
public enum ResolutionVerdict: Sendable, Equatable {
    case resolved(ResolutionOutcome)
    /// Not yet, and why (open, awaiting a proposal, disputed, proposed but not final).
    case waiting(String)
    /// Closed and resolved at `["0","0"]` (old AMM markets): ask the CLOB which token won.
    case askCLOB
    /// No answer can be derived, and why (kept on the market row; never settled by guess).
    case unresolvable(String)
}

/// How a market's result is known (../shared/polymarket/README.md): closed, the oracle's status
/// `resolved`, and prices 1/0 (the index holding 1 won) or 0.5/0.5 (void: both sides paid 0.5).
/// `["0","0"]` defers to the CLOB's `tokens[].winner`; a dispute waits; `active` is ignored (it
/// stays true on closed markets).
public enum ResolutionRule {
    public static func verdict(_ report: MarketReport) -> ResolutionVerdict {
        guard report.closed else { return .waiting("open") }
        switch report.umaStatus?.lowercased() {
        case nil, "": return .waiting("closed, no answer proposed yet")
        case "disputed": return .waiting("disputed")
        case "proposed": return .waiting("proposed, in the challenge window")
        case "resolved": break
        case let other?: return .waiting("oracle status \(other)")
        }
        let prices = report.outcomePrices.map { Double($0) }
        guard prices.count >= 2, prices.allSatisfy({ $0 != nil }) else {
            return .unresolvable("resolved with unreadable prices \(report.outcomePrices)")
        }
        let values = prices.map { $0! }
        if values.allSatisfy({ $0 == 0 }) { return .askCLOB }
        if values.allSatisfy({ abs($0 - 0.5) < 1e-9 }) { return .resolved(.void) }
        let winners = values.indices.filter { abs(values[$0] - 1) < 1e-9 }
        let losers = values.indices.filter { values[$0] == 0 }
        if winners.count == 1, losers.count == values.count - 1 { return .resolved(.winner(index: winners[0])) }
        return .unresolvable("resolved with prices \(report.outcomePrices), neither 1/0 nor 0.5/0.5")
    }

    /// The CLOB fallback: the token marked `winner`, when exactly one is.
    public static func verdict(clobWinners: [Bool]) -> ResolutionVerdict {
        let winners = clobWinners.indices.filter { clobWinners[$0] }
        guard winners.count == 1 else {
            return .unresolvable("resolved at [\"0\",\"0\"] and the CLOB names \(winners.count) winners")
        }
        return .resolved(.winner(index: winners[0]))
    }
}
