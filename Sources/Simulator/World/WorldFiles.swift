public import Foundation

/// The files of a simulated world, as `remora simulate` writes them and `remora api-stub` reads
/// them. Times are unix seconds, as the Data API stamps trades.
///
/// | file | content |
/// |---|---|
/// | `world.json` | ``WorldManifest``: the arguments, the span, the counts |
/// | `trades.ndjson` | Data API `/trades` rows, oldest first, one a line |
/// | `markets.json` | Gamma `/markets` objects as of the world's end |
/// | `prices.ndjson` | ``PriceHistoryLine``: each market's midpoint path |
/// | `truth.json` | ``WorldTruth``: what no API shows (skills, true outcomes, trade labels) |
public enum WorldFileName {
    public static let manifest = "world.json"
    public static let trades = "trades.ndjson"
    public static let markets = "markets.json"
    public static let prices = "prices.ndjson"
    public static let truth = "truth.json"
    /// Negative-risk conversions (``ConversionRow``); a world written before them has none.
    public static let conversions = "conversions.ndjson"
    public static let all = [manifest, trades, markets, prices, truth, conversions]
}

/// One line of `conversions.ndjson`: `shares` of the market's "No" token (`asset`) converted
/// into "Yes" shares of every other market of its negative-risk event.
public struct ConversionRow: Codable, Sendable, Equatable {
    public var time: Int64
    public var wallet: String
    public var conditionId: String
    public var asset: String
    public var shares: String
    public var transactionHash: String

    public init(time: Int64, wallet: String, conditionId: String, asset: String, shares: String, transactionHash: String) {
        self.time = time
        self.wallet = wallet
        self.conditionId = conditionId
        self.asset = asset
        self.shares = shares
        self.transactionHash = transactionHash
    }

    /// The line as written: keys sorted, no JSON library in the way.
    public var line: String {
        "{\"asset\":\"\(asset)\",\"conditionId\":\"\(conditionId)\",\"shares\":\"\(shares)\",\"time\":\(time),\"transactionHash\":\"\(transactionHash)\",\"wallet\":\"\(wallet)\"}"
    }
}

/// `world.json`: how the world was made and what span it covers.
public struct WorldManifest: Codable, Sendable, Equatable {
    /// The generator's version: a new version may give other worlds for the same seed.
    public var generator: String
    public var seed: UInt64
    public var wallets: Int
    public var markets: Int
    public var months: Int
    /// The world's first and last instants (unix seconds); trades lie inside.
    public var startTime: Int64
    public var endTime: Int64
    public var trades: Int

    public init(
        generator: String, seed: UInt64, wallets: Int, markets: Int, months: Int, startTime: Int64, endTime: Int64,
        trades: Int
    ) {
        self.generator = generator
        self.seed = seed
        self.wallets = wallets
        self.markets = markets
        self.months = months
        self.startTime = startTime
        self.endTime = endTime
        self.trades = trades
    }
}

/// One line of `prices.ndjson`: the midpoint of the market's first outcome token ("Yes") every
/// `step` seconds from `start` until the market closed; the second token's is `1 − p`. On top of
/// the nodes, `moves`: what the large taker orders did to the midpoint (``PriceMove``).
public struct PriceHistoryLine: Codable, Sendable, Equatable {
    public var conditionId: String
    public var token: String
    public var start: Int64
    public var step: Int64
    public var p: [Double]
    /// In time order; absent from the file when empty (worlds written before them have none).
    public var moves: [PriceMove]

    public init(conditionId: String, token: String, start: Int64, step: Int64, p: [Double], moves: [PriceMove] = []) {
        self.conditionId = conditionId
        self.token = token
        self.start = start
        self.step = step
        self.p = p
        self.moves = moves
    }

    enum CodingKeys: String, CodingKey { case conditionId, token, start, step, p, moves }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditionId = try c.decode(String.self, forKey: .conditionId)
        token = try c.decode(String.self, forKey: .token)
        start = try c.decode(Int64.self, forKey: .start)
        step = try c.decode(Int64.self, forKey: .step)
        p = try c.decode([Double].self, forKey: .p)
        moves = try c.decodeIfPresent([PriceMove].self, forKey: .moves) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(conditionId, forKey: .conditionId)
        try c.encode(token, forKey: .token)
        try c.encode(start, forKey: .start)
        try c.encode(step, forKey: .step)
        try c.encode(p, forKey: .p)
        if !moves.isEmpty { try c.encode(moves, forKey: .moves) }
    }

    /// The first token's midpoint at `time`: linear between nodes, flat outside the path, plus
    /// the moves in force then.
    public func midpoint(at time: Int64) -> Double {
        let base = Self.interpolate(p, start: start, step: step, at: time)
        return moves.isEmpty ? base : PriceMove.apply(moves, to: base, at: time)
    }

    /// Linear interpolation in a series of nodes `step` seconds apart from `start`.
    public static func interpolate(_ p: [Double], start: Int64, step: Int64, at time: Int64) -> Double {
        guard let first = p.first else { return 0.5 }
        if time <= start { return first }
        let position = Double(time - start) / Double(step)
        let index = Int(position)
        if index >= p.count - 1 { return p[p.count - 1] }
        let fraction = position - Double(index)
        return p[index] + (p[index + 1] - p[index]) * fraction
    }

    /// The midpoint at the nodes inside `[from, to]` as `(t, p)` pairs for token `outcomeIndex`
    /// (0 or 1).
    public func points(from: Int64, to: Int64, outcomeIndex: Int) -> [(t: Int64, p: Double)] {
        guard step > 0, !p.isEmpty, to >= from else { return [] }
        let first = max(0, Int((from - start + step - 1) / step))
        let last = min(p.count - 1, Int((to - start) / step))
        guard first <= last else { return [] }
        return (first...last).map { i in
            let t = start + Int64(i) * step
            let yes = moves.isEmpty ? p[i] : midpoint(at: t)
            return (t, outcomeIndex == 0 ? yes : 1 - yes)
        }
    }
}

/// What one large taker order does to the midpoint: the makers re-quote toward the side it took,
/// in log-odds, over minutes rather than at once (`1 − e^(−Δ/5 min)`), and the move fades over
/// two days (linearly, about the one-day memory of the market's own mispricing) as new noise
/// comes in. An informed order moves the price toward the truth, so whoever follows it later (a
/// copy) pays more of the way; an uninformed one moves it away, and the informed trade against
/// that. Written as `[time, shift in 1/10,000 of log-odds]` so that the file holds exactly what
/// the generator priced with.
public struct PriceMove: Codable, Sendable, Equatable {
    public var time: Int64
    /// Log-odds × 10,000, positive toward "Yes".
    public var shift: Int32

    public init(time: Int64, shift: Int32) {
        self.time = time
        self.shift = shift
    }

    /// The makers' re-quoting time constant (seconds).
    public static let settleSeconds = 300.0
    /// A move is gone this long after its order (seconds).
    public static let fadeSeconds: Int64 = 2 * 86_400

    /// The share of a move in force `age` seconds after its order.
    public static func weight(age: Int64) -> Double {
        guard age > 0, age < fadeSeconds else { return 0 }
        let a = Double(age)
        return (1 - exp(-a / settleSeconds)) * (1 - a / Double(fadeSeconds))
    }

    /// `base` (a probability) shifted in log-odds by every move of `moves` (time-ordered) in
    /// force at `time`; four decimals, as the nodes, inside (0.0001, 0.9999).
    public static func apply(_ moves: [PriceMove], to base: Double, at time: Int64) -> Double {
        // The last move before `time`, then back while they are still in force.
        var lo = 0
        var hi = moves.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if moves[mid].time < time { lo = mid + 1 } else { hi = mid }
        }
        var shift = 0.0
        var k = lo - 1
        while k >= 0, time - moves[k].time < fadeSeconds {
            shift += Double(moves[k].shift) / 10_000 * weight(age: time - moves[k].time)
            k -= 1
        }
        guard shift != 0 else { return base }
        let b = min(1 - 1e-6, max(1e-6, base))
        let moved = 1 / (1 + exp(-(log(b / (1 - b)) + shift)))
        return min(0.9999, max(0.0001, (moved * 10_000).rounded() / 10_000))
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        time = try c.decode(Int64.self)
        shift = try c.decode(Int32.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(time)
        try c.encode(shift)
    }
}

/// `truth.json`: the hidden side of the world.
public struct WorldTruth: Codable, Sendable {
    public var generator: String
    public var seed: UInt64
    public var wallets: [WalletTruth]
    public var markets: [MarketTruth]
    /// Per line of `trades.ndjson`, in the same order.
    public var trades: TradeTruth

    public init(generator: String, seed: UInt64, wallets: [WalletTruth], markets: [MarketTruth], trades: TradeTruth) {
        self.generator = generator
        self.seed = seed
        self.wallets = wallets
        self.markets = markets
        self.trades = trades
    }
}

/// What a wallet really is.
public struct WalletTruth: Codable, Sendable, Equatable {
    public var address: String
    public var name: String
    public var pseudonym: String
    public var style: WalletStyle
    /// Information edge in [0, 1]: how precise the wallet's private signal of the true
    /// probability is (its noise in log-odds is 0.05 + 3 (1 − skill)²; the wallet weighs it
    /// against the market's price as a Bayesian does). 0 is no signal at all.
    public var skill: Double
    /// The category a specialist knows (its edge is zero elsewhere).
    public var category: String?
    /// When a decaying wallet's edge fell to zero (unix seconds).
    public var regimeChange: Int64?
    public var trades: Int
    /// USDC traded, and the P&L realized by the world's end (sales, resolutions, taker fees;
    /// open positions are not marked), as decimal strings.
    public var volume: String
    public var realizedPnl: String
    /// The ex-ante expected return of the wallet's fills per calendar month ("2026-01"): Σ
    /// expected value at fill time given the true probability, after fees, ÷ Σ notional. What an
    /// oracle would rank wallets by; absent in months without fills.
    public var expectedReturnByMonth: [String: Double]?

    public init(
        address: String, name: String, pseudonym: String, style: WalletStyle, skill: Double, category: String?,
        regimeChange: Int64?, trades: Int, volume: String, realizedPnl: String, expectedReturnByMonth: [String: Double]? = nil
    ) {
        self.address = address
        self.name = name
        self.pseudonym = pseudonym
        self.style = style
        self.skill = skill
        self.category = category
        self.regimeChange = regimeChange
        self.trades = trades
        self.volume = volume
        self.realizedPnl = realizedPnl
        self.expectedReturnByMonth = expectedReturnByMonth
    }
}

/// The kinds of wallet the world holds.
public enum WalletStyle: String, Codable, Sendable, CaseIterable {
    /// Few, large, informed trades.
    case skilledWhale = "skilled-whale"
    /// Large trades without an edge.
    case unskilledWhale = "unskilled-whale"
    /// Many small two-sided maker trades at the touch.
    case marketMaker = "market-maker"
    /// Builds a position while pushing the price up, then dumps it into its followers.
    case adversarial
    /// Informed until `regimeChange`, then no edge.
    case decaying
    /// Informed in one category only.
    case specialist
    /// Small trades, mostly without an edge (a few with a small one).
    case retail
}

/// A market's true outcome.
public enum TrueOutcome: String, Codable, Sendable {
    case yes, no, void
}

/// A market's hidden truth and timeline; the Gamma state at any moment follows from it
/// (``MarketTimeline``).
public struct MarketTruth: Codable, Sendable, Equatable {
    public var conditionId: String
    public var gammaId: String
    public var category: String
    public var tokenIds: [String]
    /// The true probability of "Yes" when the market opened.
    public var initialProbability: Double
    public var outcome: TrueOutcome
    public var startTime: Int64
    /// Trading stopped.
    public var closedTime: Int64
    /// An answer was proposed to the oracle.
    public var proposedAt: Int64
    /// A dispute, when the first proposal was challenged: the market waits in `disputed`.
    public var dispute: DisputeWindow?
    /// The oracle settled: prices become 1/0 (0.5/0.5 when void).
    public var resolvedAt: Int64
    public var tick: Double
    public var minOrderSize: Double
    /// Taker fee rate of `shares × p × (1 − p)`; 0 when fees are off.
    public var takerFeeRate: Double
    /// Resting depth scale in USDC and the usual spread in ticks: the order-book model's inputs.
    public var liquidity: Double
    public var spreadTicks: Int

    public init(
        conditionId: String, gammaId: String, category: String, tokenIds: [String], initialProbability: Double,
        outcome: TrueOutcome, startTime: Int64, closedTime: Int64, proposedAt: Int64, dispute: DisputeWindow?,
        resolvedAt: Int64, tick: Double, minOrderSize: Double, takerFeeRate: Double, liquidity: Double,
        spreadTicks: Int
    ) {
        self.conditionId = conditionId
        self.gammaId = gammaId
        self.category = category
        self.tokenIds = tokenIds
        self.initialProbability = initialProbability
        self.outcome = outcome
        self.startTime = startTime
        self.closedTime = closedTime
        self.proposedAt = proposedAt
        self.dispute = dispute
        self.resolvedAt = resolvedAt
        self.tick = tick
        self.minOrderSize = minOrderSize
        self.takerFeeRate = takerFeeRate
        self.liquidity = liquidity
        self.spreadTicks = spreadTicks
    }
}

public struct DisputeWindow: Codable, Sendable, Equatable {
    public var from: Int64
    public var to: Int64
    public init(from: Int64, to: Int64) {
        self.from = from
        self.to = to
    }
}

/// Per-trade truth as strings with one character per line of `trades.ndjson` (compact at a
/// million trades): `labels` `+` when the trade had positive expected value at trade time given
/// the true probability (after the taker fee), `-` otherwise; `roles` `T` taker, `M` maker.
public struct TradeTruth: Codable, Sendable {
    public var labels: String
    public var roles: String
    /// The copy lag the `copyValues` assume, seconds.
    public var copyLagSeconds: Int64?
    /// Per line: the expected value per dollar of copying the fill `copyLagSeconds` later as a
    /// taker (a buy copied at the ask then, a sale at the bid, the taker fee paid), given the true
    /// probability then; 0 when the market no longer trades by then. Four decimals.
    public var copyValues: [Double]?
    public init(labels: String, roles: String, copyLagSeconds: Int64? = nil, copyValues: [Double]? = nil) {
        self.labels = labels
        self.roles = roles
        self.copyLagSeconds = copyLagSeconds
        self.copyValues = copyValues
    }
}
