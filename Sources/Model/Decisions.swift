/// A wallet's score as of an event time (`whale.score`).
public struct WhaleScore: Sendable, Hashable, Codable {
    public var wallet: WalletAddress
    public var asOf: EventTime
    public var settledCount: Int
    public var wins: Int
    public var realizedPnl: USDC
    public var volume: USDC
    /// 0–100. Which formula produced it is named by `method`.
    public var score: Double
    public var method: String
    /// The figures the gate and the sizer read (absent on scores published before they were).
    public var figures: WhaleFigures?

    public init(
        wallet: WalletAddress, asOf: EventTime, settledCount: Int, wins: Int, realizedPnl: USDC, volume: USDC,
        score: Double, method: String, figures: WhaleFigures? = nil
    ) {
        self.figures = figures
        self.wallet = wallet
        self.asOf = asOf
        self.settledCount = settledCount
        self.wins = wins
        self.realizedPnl = realizedPnl
        self.volume = volume
        self.score = score
        self.method = method
    }
}

/// Which of the three gates decided.
public enum GateStage: String, Sendable, Codable, Hashable, CaseIterable {
    /// Is the whale qualified now?
    case whale
    /// Is this trade worth copying?
    case trade
    /// Does it fit the portfolio?
    case portfolio
}

/// The gate's verdict on one whale trade (`signal`); rejections keep their stage and reason.
public struct Signal: Sendable, Hashable, Codable {
    public var tradeId: String
    public var wallet: WalletAddress
    public var conditionId: ConditionID
    public var asset: TokenID
    public var outcomeIndex: Int
    public var side: Side
    public var price: Price
    public var size: Shares
    public var tradeTime: EventTime
    public var accepted: Bool
    /// The stage that rejected, or the last stage passed when accepted.
    public var stage: GateStage
    /// A stable machine code ("score_below_threshold", "size_below_minimum", …) or "passed".
    public var reason: String
    public var detail: String
    public var whaleScore: Double?
    /// The scorer's figures of the whale as of the trade (nil: no score before it).
    public var whale: WhaleFigures?
    /// What the trade gate measured, as far as it got (nil when the whale gate decided).
    public var measures: TradeMeasures?
    /// The edge left after the copy lag, our slippage and the taker fee, in probability units:
    /// the estimated probability minus the expected fill price and the fee per share
    /// (docs/strategy.md). Stored whenever the gate got that far, accepted or not.
    public var copyability: Double?
    /// An exit (reason `exit`): how much of its position the whale let go.
    public var exit: WhaleExit?
    /// A later fill of a whale order: the trade id of the fill whose signal stands for the whole
    /// order (its size is the order's). Set whatever the reason — `part_of_order`, or the whale
    /// check that turned the order away first — so that whoever counts orders (the shadow books)
    /// counts each once. Nil for an order's first fill, or a fill alone.
    public var orderFirstFill: String?

    /// Whether another signal stands for this fill's order (``orderFirstFill``; signals stored
    /// before it was carried say so by their reason alone).
    public var isLaterFillOfOrder: Bool { orderFirstFill != nil || reason == "part_of_order" }

    public init(
        tradeId: String, wallet: WalletAddress, conditionId: ConditionID, asset: TokenID, outcomeIndex: Int, side: Side,
        price: Price, size: Shares, tradeTime: EventTime, accepted: Bool, stage: GateStage, reason: String, detail: String,
        whaleScore: Double?, whale: WhaleFigures? = nil, measures: TradeMeasures? = nil, copyability: Double? = nil,
        exit: WhaleExit? = nil, orderFirstFill: String? = nil
    ) {
        self.orderFirstFill = orderFirstFill
        self.exit = exit
        self.whale = whale
        self.measures = measures
        self.copyability = copyability
        self.tradeId = tradeId
        self.wallet = wallet
        self.conditionId = conditionId
        self.asset = asset
        self.outcomeIndex = outcomeIndex
        self.side = side
        self.price = price
        self.size = size
        self.tradeTime = tradeTime
        self.accepted = accepted
        self.stage = stage
        self.reason = reason
        self.detail = detail
        self.whaleScore = whaleScore
    }
}

/// A whale's reduction of a position we may hold a copy of: its position in the token before the
/// order, and how much the order took off it. We reduce ours in the same proportion.
public struct WhaleExit: Sendable, Hashable, Codable {
    public var sharesBefore: Shares
    public var sharesReduced: Shares
    /// min(1, reduced ÷ before) in parts per million, rounded down.
    public var fractionPpm: Int64
    /// The position reduced when it is not the trade's own token: the other outcome of the
    /// market, which the whale held and bought the complement of (nil: the trade's token, sold).
    public var asset: TokenID?
    public var outcomeIndex: Int?

    public init(sharesBefore: Shares, sharesReduced: Shares, asset: TokenID? = nil, outcomeIndex: Int? = nil) {
        self.asset = asset
        self.outcomeIndex = outcomeIndex
        self.sharesBefore = sharesBefore
        self.sharesReduced = sharesReduced
        if sharesBefore.micros <= 0 || sharesReduced.micros <= 0 {
            fractionPpm = 0
        } else if sharesReduced >= sharesBefore {
            fractionPpm = 1_000_000
        } else {
            fractionPpm = sharesBefore.micros.dividingFullWidth(sharesReduced.micros.multipliedFullWidth(by: 1_000_000)).quotient
        }
    }
}

/// What the trade gate measured of the market at the copy instant (docs/strategy.md).
public struct TradeMeasures: Sendable, Hashable, Codable {
    /// When our copy reaches the market: the whale's fill time plus the copy lag.
    public var copyAt: EventTime
    /// The book's midpoint then.
    public var midpoint: Price?
    /// The average price of the reference order walking that book, and how much worse than the
    /// midpoint it is, as a fraction of the midpoint.
    public var expectedFillPrice: Price?
    public var referenceSlippage: Double?
    /// The market's taker fee rate (fee = shares × rate × price × (1 − price)).
    public var takerFeeBps: Int?
    /// Days from the copy instant to the market's last order time.
    public var daysToEnd: Double?
    /// The probability estimates of the outcome (blend of win rate and market; price plus the
    /// whale's shrunk edge) and the one the gate and the sizer use.
    public var probabilityBlend: Double?
    public var probabilityEdge: Double?
    public var probability: Double?
    /// EWMA (λ 0.94) volatility of the token's daily log returns before the copy instant.
    public var volatility: Double?

    public init(copyAt: EventTime) { self.copyAt = copyAt }
}

/// The sizer's proposal for one accepted signal (`order.proposed`): a fraction of NAV. The risk
/// guard, the single owner of the book, turns it into cash against the exact NAV at decision time.
public struct ProposedOrder: Sendable, Hashable, Codable {
    public var orderId: String
    public var tradeId: String
    public var wallet: WalletAddress
    public var conditionId: ConditionID
    public var asset: TokenID
    public var outcomeIndex: Int
    public var side: Side
    public var limitPrice: Price
    /// Fraction of NAV to commit, in parts per million (20_000 = 2 %).
    public var fractionPpm: Int64
    public var tradeTime: EventTime
    /// When our copy reaches the market: the whale's fill time plus the copy lag. The order's
    /// event time, and the instant of the book it fills against.
    public var copyAt: EventTime
    /// The Kelly factors behind `fractionPpm` (nil for an order sized another way).
    public var kelly: KellyFactors?
    /// An exit: sell this share (ppm) of what the book holds of the token from `wallet`; nil for
    /// an entry, sized by `fractionPpm` of NAV.
    public var exitFractionPpm: Int64?

    public init(
        orderId: String, tradeId: String, wallet: WalletAddress, conditionId: ConditionID, asset: TokenID,
        outcomeIndex: Int, side: Side, limitPrice: Price, fractionPpm: Int64, tradeTime: EventTime, copyAt: EventTime? = nil,
        kelly: KellyFactors? = nil, exitFractionPpm: Int64? = nil
    ) {
        self.exitFractionPpm = exitFractionPpm
        self.kelly = kelly
        self.orderId = orderId
        self.tradeId = tradeId
        self.wallet = wallet
        self.conditionId = conditionId
        self.asset = asset
        self.outcomeIndex = outcomeIndex
        self.side = side
        self.limitPrice = limitPrice
        self.fractionPpm = fractionPpm
        self.tradeTime = tradeTime
        self.copyAt = copyAt ?? tradeTime
    }
}

/// The sizer's half of the adaptive Kelly size (docs/strategy.md): what it knows of the whale
/// and the market. The risk guard multiplies by the factors that read our book (correlation,
/// drawdown) and caps at 8 % of NAV.
public struct KellyFactors: Sendable, Hashable, Codable {
    /// The probability of the outcome and the net odds of buying it at the expected fill price,
    /// net of the taker fee: b = (1 − c) ÷ c with c the price plus the fee per share.
    public var probability: Double
    public var netOdds: Double
    /// f* = (p·b − q) ÷ b.
    public var fullKelly: Double
    /// 0.4 + 0.6 × WQS ÷ 100.
    public var confidence: Double
    /// 1 ÷ (1 + 5σ) within [0.5, 1.2], σ the token's daily EWMA volatility (1 when unknown).
    public var volatility: Double
    /// ½ × f* × confidence × volatility: `fractionPpm` before the book's factors and the cap.
    public var fraction: Double

    public init(probability: Double, netOdds: Double, fullKelly: Double, confidence: Double, volatility: Double, fraction: Double) {
        self.probability = probability
        self.netOdds = netOdds
        self.fullKelly = fullKelly
        self.confidence = confidence
        self.volatility = volatility
        self.fraction = fraction
    }
}

/// The copy book's trading state: ACTIVE trades; REDUCING only exits (its mVaR went above the
/// limit and is not yet back under the lower threshold); HALTED nothing (an operator's halt, until
/// a resume).
public enum TradingState: String, Sendable, Hashable, Codable, CaseIterable {
    case active = "ACTIVE"
    case reducing = "REDUCING"
    case halted = "HALTED"
}

/// Filled (paper) or blocked.
public enum OrderStatus: String, Sendable, Codable, Hashable {
    case filled, blocked
}

/// The risk guard's decision on a proposed order (`order.decided`), with the paper fill if any.
/// Why a control sells a position.
public enum ControlTrigger: String, Sendable, Hashable, Codable {
    /// The mark fell to or through the trailing stop.
    case stop
    /// The market's last order time is less than the exit window away.
    case timeExit = "time_exit"
    /// The whale the lot was bought for is in quarantine (only with `REMORA_RISK_CLOSE_QUARANTINED`).
    case quarantine
}

public struct OrderDecision: Sendable, Hashable, Codable {
    public var orderId: String
    public var tradeId: String
    public var wallet: WalletAddress
    public var conditionId: ConditionID
    public var asset: TokenID
    public var outcomeIndex: Int
    public var side: Side
    public var status: OrderStatus
    /// "within_limits" when filled; otherwise why it was blocked ("exposure_cap", "portfolio_unavailable", …).
    public var reason: String
    /// The average price paid (cash ÷ shares) when filled; the order's limit when blocked.
    public var fillPrice: Price
    public var fillShares: Shares
    public var fillNotional: USDC
    /// NAV of the book just before this decision.
    public var navBefore: USDC
    public var decidedAt: EventTime
    /// The midpoint of the book the order met (nil when there was no usable book).
    public var bookMidpoint: Price?
    /// What the book could not take of the order's notional (a partial fill).
    public var unfilledNotional: USDC
    /// Why, in words, when the reason code needs them (the market-data problem, the minimum).
    public var detail: String?
    /// The largest correlation of the order's token with a held position (1: the same market),
    /// when one was measured: the portfolio gate's input and its size factor max(0.3, 1 − ρ²).
    public var correlation: Double?
    /// The book's drawdown below its peak NAV when an entry was sized: k_dd = max(0.2, 1 − 3 × it).
    public var bookDrawdown: Double?
    /// The taker fee the fill paid (`shares × rate × p × (1 − p)` per level), on top of a buy's
    /// notional, out of a sale's proceeds. Nil: none charged (a decision from before fees).
    public var fee: USDC?
    /// The book's one-day 99 % mVaR as a fraction of NAV at this decision, when measured
    /// (docs/risk.md), and the trading state the decision was taken in.
    public var bookVaR: Double?
    public var tradingState: TradingState?
    /// Set on a sale the risk guard decided itself at a control instant (a stop, a time exit):
    /// no proposed order stands behind it.
    public var trigger: ControlTrigger?

    public init(
        orderId: String, tradeId: String, wallet: WalletAddress, conditionId: ConditionID, asset: TokenID,
        outcomeIndex: Int, side: Side, status: OrderStatus, reason: String, fillPrice: Price, fillShares: Shares, fillNotional: USDC,
        navBefore: USDC, decidedAt: EventTime, bookMidpoint: Price? = nil, unfilledNotional: USDC = .zero, detail: String? = nil,
        correlation: Double? = nil, bookDrawdown: Double? = nil, fee: USDC? = nil
    ) {
        self.fee = fee
        self.bookDrawdown = bookDrawdown
        self.correlation = correlation
        self.orderId = orderId
        self.tradeId = tradeId
        self.wallet = wallet
        self.conditionId = conditionId
        self.asset = asset
        self.outcomeIndex = outcomeIndex
        self.side = side
        self.status = status
        self.reason = reason
        self.fillPrice = fillPrice
        self.fillShares = fillShares
        self.fillNotional = fillNotional
        self.navBefore = navBefore
        self.decidedAt = decidedAt
        self.bookMidpoint = bookMidpoint
        self.unfilledNotional = unfilledNotional
        self.detail = detail
    }

    /// How much worse than the book's midpoint the fill's average price was, in basis points of
    /// the midpoint (spread and depth together). Analytics only.
    public var slippageBps: Double? {
        guard status == .filled, let mid = bookMidpoint, mid.micros > 0 else { return nil }
        let difference = side == .buy ? fillPrice.micros - mid.micros : mid.micros - fillPrice.micros
        return Double(difference) / Double(mid.micros) * 10_000
    }
}

/// Severity of an operator alert.
public enum AlertLevel: String, Sendable, Codable, Hashable {
    case info, warning, critical
}

/// Something an operator should see (`alert`).
public struct Alert: Sendable, Hashable, Codable {
    public var level: AlertLevel
    public var source: String
    public var code: String
    public var message: String
    public var at: EventTime
    public init(level: AlertLevel, source: String, code: String, message: String, at: EventTime) {
        self.level = level
        self.source = source
        self.code = code
        self.message = message
        self.at = at
    }
}
