import Foundation

/// What trade generation reads: markets with their paths, and which markets are open each day.
/// A class: while the whales trade in time order (``WorldGenerator``) their orders add
/// ``PriceMove``s to the paths that everyone after them prices with; afterwards it is read only
/// (from all cores).
final class TradingFloor: @unchecked Sendable {
    var markets: [MarketTruth]
    var categories: [Int]
    var histories: [PriceHistoryLine]
    var truths: [[Double]]
    /// Standard deviation of each market's mispricing, in log-odds: how far its midpoint strays
    /// from the truth, which an informed wallet weighs its own signal against.
    var mispricing: [Double]
    var openByDay: [[Int32]]
    /// The whales' taker fills per market, in time order: the depth they took (``ReactiveDepth``),
    /// which later orders walk past.
    var whaleFills: [[WhaleFill]]
    var firstDay: Int64
    var startTime: Int64
    var endTime: Int64

    init(drafts: [MarketDraft], histories: [PriceHistoryLine], truths: [[Double]], startTime: Int64, endTime: Int64) {
        markets = drafts.map(\.truth)
        categories = drafts.map { d in CategoryProfile.all.firstIndex { $0.name == d.truth.category } ?? 0 }
        mispricing = drafts.map(\.mispricing)
        self.histories = histories
        self.truths = truths
        self.startTime = startTime
        self.endTime = endTime
        firstDay = startTime / 86_400
        openByDay = TradingFloor.index(markets, startTime: startTime, endTime: endTime)
        whaleFills = Array(repeating: [], count: drafts.count)
    }

    struct WhaleFill {
        var time: Int64
        var shares: Double
        var isBuy: Bool
        var outcome: Int
    }

    /// A whale's taker fill takes depth from the book (fills come in time order).
    func took(_ m: Int, outcome: Int, isBuy: Bool, shares: Double, at time: Int64) {
        whaleFills[m].append(WhaleFill(time: time, shares: shares, isBuy: isBuy, outcome: outcome))
    }

    /// The depth of token `outcome`'s book the whales' fills took and the makers have not put
    /// back by `time`.
    func taken(_ m: Int, outcome: Int, at time: Int64) -> ReactiveDepth.Taken {
        // Binary search, no cursor: retail reads the floor from every core at once.
        let fills = whaleFills[m]
        var low = 0
        var high = fills.count
        while low < high {
            let mid = (low + high) / 2
            if fills[mid].time < time - ReactiveDepth.memorySeconds { low = mid + 1 } else { high = mid }
        }
        let from = low
        var taken = ReactiveDepth.Taken.none
        for fill in fills[from...] where fill.time <= time {
            taken.add(shares: fill.shares, age: time - fill.time, isBuy: fill.isBuy, sameToken: fill.outcome == outcome)
        }
        return taken
    }

    /// The levels a taker order walks at `time`, best first: the asks of token `outcome` when
    /// buying, its bids when selling — the model's book on the moved midpoint, less the depth
    /// the whales took.
    func levels(_ m: Int, outcome: Int, buying: Bool, at time: Int64) -> [BookLevel] {
        let book = OrderBookModel.book(
            market: markets[m], outcomeIndex: outcome, midpoint: histories[m].midpoint(at: time), moment: time / 60,
            taken: taken(m, outcome: outcome, at: time))
        return buying ? book.asks.reversed() : book.bids.reversed()
    }

    static func index(_ markets: [MarketTruth], startTime: Int64, endTime: Int64) -> [[Int32]] {
        let firstDay = startTime / 86_400
        let days = Int((endTime - 1) / 86_400 - firstDay) + 1
        var open = [[Int32]](repeating: [], count: days)
        for (i, m) in markets.enumerated() {
            let from = max(0, Int(m.startTime / 86_400 - firstDay))
            let to = min(days - 1, Int((m.closedTime - 1) / 86_400 - firstDay))
            if from <= to { for d in from...to { open[d].append(Int32(i)) } }
        }
        return open
    }

    /// How far an order moves its market's midpoint, in log-odds per USDC of notional ÷ the
    /// market's liquidity (a 2,500 USDC order in a median 15,000 USDC market: 0.04, a cent at
    /// even odds), and at most. Set with the mispricing so that makers keep 0.5–2 % of the
    /// volume they make (docs/simulator.md).
    static let impact = 0.25
    static let largestMove = 0.5

    /// The move a taker fill makes (``PriceMove``), toward the side it took. Fills come in time
    /// order (the whales' pass is one loop in time order), so each path's moves stay sorted.
    func move(_ m: Int, outcome: Int, isBuy: Bool, notional: Double, at time: Int64) {
        let direction = (outcome == 0) == isBuy ? 1.0 : -1.0
        let size = min(Self.largestMove, Self.impact * notional / max(1, markets[m].liquidity))
        let shift = Int32((direction * size * 10_000).rounded())
        guard shift != 0 else { return }
        precondition(histories[m].moves.last.map { $0.time <= time } ?? true, "price moves out of time order")
        histories[m].moves.append(PriceMove(time: time, shift: shift))
    }

    /// A market open for trading at `time` (with two minutes to spare), or nil after a few tries.
    func openMarket(at time: Int64, category: Int?, _ rng: inout SplitMix64) -> Int? {
        let day = Int(time / 86_400 - firstDay)
        guard day >= 0, day < openByDay.count, !openByDay[day].isEmpty else { return nil }
        let candidates = openByDay[day]
        for _ in 0..<(category == nil ? 8 : 40) {
            let m = Int(candidates[Int(rng.next() % UInt64(candidates.count))])
            if let category, categories[m] != category { continue }
            if isOpen(m, at: time) { return m }
        }
        return nil
    }

    func isOpen(_ m: Int, at time: Int64) -> Bool {
        time >= markets[m].startTime && time < markets[m].closedTime - 120
    }

    func trueProbability(_ m: Int, outcome: Int, at time: Int64) -> Double {
        let h = histories[m]
        let yes = PriceHistoryLine.interpolate(truths[m], start: h.start, step: h.step, at: time)
        return outcome == 0 ? yes : 1 - yes
    }

    /// Best bid and ask of a token at `time`, with its midpoint.
    func quote(_ m: Int, outcome: Int, at time: Int64) -> Quote {
        let midpoint = histories[m].midpoint(at: time)
        let touch = OrderBookModel.touch(market: markets[m], outcomeIndex: outcome, midpoint: midpoint)
        return Quote(touch: touch, mid: outcome == 0 ? midpoint : 1 - midpoint)
    }

    /// The taker fee per share at `price`.
    func feePerShare(_ m: Int, price: Double) -> Double {
        markets[m].takerFeeRate * price * (1 - price)
    }

    /// A fill's expected value per share at `time` given the true probability, after the
    /// taker's fee.
    func expectedValue(_ m: Int, outcome: Int, isBuy: Bool, price: Double, taker: Bool, at time: Int64) -> Double {
        let q = trueProbability(m, outcome: outcome, at: time)
        let fee = taker ? feePerShare(m, price: price) : 0
        return (isBuy ? q - price : price - q) - fee
    }
}

struct Quote {
    var touch: Touch
    var mid: Double
    var bidPrice: Double { touch.bid }
    var askPrice: Double { touch.ask }
}

/// Average-cost positions and realized P&L in micro-USDC: sales realize against the average
/// cost, fees are charged when paid, positions in markets resolved by the world's end are paid
/// 1, 0, or 0.5 when void.
struct PositionLedger: Sendable {
    struct Holding: Sendable {
        var shares: Int64 = 0
        var cost: Int64 = 0
    }

    /// Key: market << 1 | outcome.
    var holdings: [Int: Holding] = [:]
    var volumeMicros: Int64 = 0
    var realizedMicros: Int64 = 0
    var feesMicros: Int64 = 0

    func shares(_ key: Int) -> Int64 { holdings[key]?.shares ?? 0 }

    /// Applies a fill; a sale of more than is held is cut to what is held. Returns the shares
    /// applied (0: nothing to sell).
    @discardableResult
    mutating func apply(key: Int, isBuy: Bool, shares: Int64, priceMicros: Int64, feeMicros: Int64) -> Int64 {
        var holding = holdings[key] ?? Holding()
        let notional: Int64
        let applied: Int64
        if isBuy {
            applied = shares
            notional = mulDiv(shares, priceMicros, 1_000_000)
            holding.shares += shares
            holding.cost += notional
        } else {
            applied = min(shares, holding.shares)
            guard applied > 0 else { return 0 }
            notional = mulDiv(applied, priceMicros, 1_000_000)
            let basis = mulDiv(holding.cost, applied, holding.shares)
            realizedMicros += notional - basis
            holding.shares -= applied
            holding.cost -= basis
        }
        holdings[key] = holding
        realizedMicros -= feeMicros
        feesMicros += feeMicros
        volumeMicros += notional
        return applied
    }

    /// Pays the positions of markets resolved by `endTime`.
    mutating func settle(_ markets: [MarketTruth], endTime: Int64) {
        for (key, holding) in holdings.sorted(by: { $0.key < $1.key }) where holding.shares > 0 {
            let market = markets[key >> 1]
            guard market.resolvedAt <= endTime else { continue }
            realizedMicros += mulDiv(holding.shares, payoutMicros(market, outcome: key & 1), 1_000_000) - holding.cost
            holdings[key] = Holding()
        }
    }
}

/// What one share of `outcome` pays at resolution.
func payoutMicros(_ market: MarketTruth, outcome: Int) -> Int64 {
    switch market.outcome {
    case .void: 500_000
    case .yes: outcome == 0 ? 1_000_000 : 0
    case .no: outcome == 1 ? 1_000_000 : 0
    }
}

/// A taker order, or what is left of it.
struct TakerOrder {
    var market: Int
    var outcome: Int
    var isBuy: Bool
    var shares: Int64
    /// The wallet's belief in the outcome when it trades on information; nil when it has none.
    var belief: Double?
    /// 0 for the order as decided, then 1, 2, … for the slices after it.
    var slice = 0
    /// The least an informed order takes a level for, per share (set when it is decided).
    var minimumGain = 0.0
}

/// One wallet's taker fills and its exact accounting.
struct WalletLedger: Sendable {
    var trades: [SimulatedTrade] = []
    var positions = PositionLedger()
}

/// Generates one taker wallet's trades in time order, holding its positions so that it only
/// sells what it owns. Market makers trade only as the counterparties of these fills (see
/// ``MakerDesk``).
///
/// A wallet is a stream of events — its decisions (a Poisson process), the repeats of a burst,
/// a pump's tranches and dump — taken one at a time (`step`), so that the whales' events can be
/// interleaved in time order across wallets and each sees the price moves of the orders before it.
struct TradeGenerator {
    let floor: TradingFloor
    let wallet: WalletDraft
    let walletIndex: Int
    /// Whether this wallet's orders move the midpoint (``PriceMove``). Retail orders are too small
    /// to (median 5 USDC against a median 15,000 USDC book); a pumper's push is in the path already.
    let movesPrice: Bool
    var rng: SplitMix64
    var ledger = WalletLedger()
    var sequence: Int32 = 0

    /// The next decision of the Poisson process, and the scheduled events, in time order.
    var nextDecision = Int64.max
    var scheduled: [Scheduled] = []

    struct Scheduled {
        enum Action {
            /// A burst's repeat of a buy; `left` repeats including this one.
            case repeatBuy(market: Int, outcome: Int, edge: Double, left: Int)
            case pumpBuy(market: Int)
            case pumpDump(market: Int)
            /// What the book could not hold of an order, once the makers have refilled some.
            case slice(TakerOrder)
        }
        var time: Int64
        var action: Action
    }

    /// The margin an informed wallet wants over the price, beyond the fee.
    static let margin = 0.01
    /// How many levels an order without an edge takes at once: the touch and the next.
    static let uninformedLevels = 2
    /// An order the book cannot hold goes in at most this many slices.
    static let maxSlices = 4

    init(floor: TradingFloor, wallet: WalletDraft, walletIndex: Int, seed: UInt64, pumps: [PumpWindow]) {
        self.floor = floor
        self.wallet = wallet
        self.walletIndex = walletIndex
        movesPrice = wallet.style != .retail && wallet.style != .adversarial
        rng = SplitMix64(seed: seed, stream: 5, index: walletIndex)
        if wallet.style == .adversarial {
            for pump in pumps { schedulePump(pump) }
        } else if wallet.style != .marketMaker, wallet.rate > 0 {
            nextDecision = wallet.joined + Int64(rng.nextExponential(rate: wallet.rate / 86_400))
        }
    }

    /// When the next event is (`Int64.max`: none).
    var nextTime: Int64 { min(nextDecision, scheduled.first?.time ?? .max) }

    /// Takes the next event.
    mutating func step() {
        if let event = scheduled.first, event.time <= nextDecision {
            scheduled.removeFirst()
            perform(event)
        } else {
            let time = nextDecision
            decide(at: time)
            nextDecision = time + max(1, Int64(rng.nextExponential(rate: wallet.rate / 86_400)))
        }
    }

    /// The wallet's ledger once no event is left before the world's end.
    mutating func finish() -> WalletLedger {
        ledger.positions.settle(floor.markets, endTime: floor.endTime)
        return ledger
    }

    /// Every event of a wallet whose orders move no price, on its own.
    mutating func run() -> WalletLedger {
        while nextTime < floor.endTime { step() }
        return finish()
    }

    mutating func schedule(_ event: Scheduled) {
        let at = scheduled.firstIndex { $0.time > event.time } ?? scheduled.endIndex
        scheduled.insert(event, at: at)
    }

    mutating func perform(_ event: Scheduled) {
        let time = event.time
        switch event.action {
        case let .repeatBuy(m, outcome, edge, left):
            // An informed wallet repeats only while it still sees the mispricing.
            guard floor.isOpen(m, at: time) else { return }
            var belief: Double?
            if edge > 0 {
                let seen = gain(m, outcome: outcome, at: time, edge: edge)
                guard seen.gain > 0 else { return }
                belief = seen.belief
            }
            buyAsTaker(m, outcome: outcome, at: time, belief: belief)
            if left > 1 {
                schedule(Scheduled(
                    time: time + Int64(rng.nextInt(in: 20...600)),
                    action: .repeatBuy(market: m, outcome: outcome, edge: edge, left: left - 1)))
            }
        case let .pumpBuy(m):
            guard floor.isOpen(m, at: time) else { return }
            let quote = floor.quote(m, outcome: 0, at: time)
            record(m, outcome: 0, isBuy: true, shares: sizeShares(m, price: quote.askPrice), priceMicros: quote.touch.askMicros, at: time)
        case let .pumpDump(m):
            dump(m, at: time)
        case let .slice(order):
            walk(order, at: time)
        }
    }

    // MARK: decisions

    /// A specialist's decisions in its field, and how many of them ended in a buy.
    var fieldDecisions = 0
    var fieldBuys = 0

    mutating func decide(at time: Int64) {
        if rng.chance(0.3), trySell(at: time) { return }
        // A specialist decides once whether this idea is in its field (85 %) or not. In its field
        // it buys only what it finds mispriced; outside it has no edge and would buy every time,
        // so it dabbles only as often as its field gives it a trade: 15 % of its buys.
        var category: Int?
        if wallet.style == .specialist {
            if rng.chance(0.85) {
                category = wallet.category
                fieldDecisions += 1
            } else {
                let hitRate = fieldDecisions > 0 ? Double(fieldBuys) / Double(fieldDecisions) : 0.5
                guard rng.chance(hitRate) else { return }
            }
        }
        let tries = wallet.skill > 0 ? 6 : 1
        for _ in 0..<tries {
            guard let m = floor.openMarket(at: time, category: category, &rng) else { continue }
            if tryBuy(market: m, at: time) {
                if category != nil { fieldBuys += 1 }
                return
            }
        }
    }

    /// What this wallet believes the probability of "Yes" is: its private signal (the truth
    /// seen through noise that shrinks with skill) weighed against the market's midpoint as a
    /// Bayesian does, in log-odds: belief = mid + w · (signal − mid), w = σ²_market ÷ (σ²_market +
    /// σ²_signal). A skilled wallet's signal is precise, so its belief sits near the truth and it
    /// trades only real mispricings; an unskilled one's belief stays near the price.
    mutating func beliefYes(_ m: Int, at time: Int64, edge: Double, mid: Double) -> Double {
        let q = min(1 - 1e-9, max(1e-9, floor.trueProbability(m, outcome: 0, at: time)))
        let noise = 0.05 + 3 * (1 - edge) * (1 - edge)
        let signal = log(q / (1 - q)) + noise * rng.nextGaussian()
        let priced = min(1 - 1e-6, max(1e-6, mid))
        let prior = log(priced / (1 - priced))
        let marketVariance = floor.mispricing[m] * floor.mispricing[m]
        let weight = marketVariance / (marketVariance + noise * noise)
        return 1 / (1 + exp(-(prior + weight * (signal - prior))))
    }

    /// Informed wallets sell when their belief falls below the bid; others sell at random.
    mutating func trySell(at time: Int64) -> Bool {
        let open = ledger.positions.holdings.filter { $0.value.shares > 0 && floor.isOpen($0.key >> 1, at: time) }.keys.sorted()
        guard !open.isEmpty else { return false }
        let key = open[Int(rng.next() % UInt64(open.count))]
        let m = key >> 1
        let outcome = key & 1
        let held = ledger.positions.shares(key)
        let quote = floor.quote(m, outcome: outcome, at: time)
        let edge = wallet.edge(category: floor.categories[m], at: time)
        if edge > 0 {
            let yes = beliefYes(m, at: time, edge: edge, mid: floor.quote(m, outcome: 0, at: time).mid)
            let belief = outcome == 0 ? yes : 1 - yes
            guard belief < quote.bidPrice - floor.feePerShare(m, price: quote.bidPrice) - Self.margin else { return false }
            walk(TakerOrder(market: m, outcome: outcome, isBuy: false, shares: held, belief: belief), at: time)
            return true
        }
        let shares = rng.chance(0.5) ? held : max(1, held / 2)
        walk(TakerOrder(market: m, outcome: outcome, isBuy: false, shares: shares, belief: nil), at: time)
        return true
    }

    mutating func tryBuy(market m: Int, at time: Int64) -> Bool {
        let edge = wallet.edge(category: floor.categories[m], at: time)
        let yes = floor.quote(m, outcome: 0, at: time)
        var outcome: Int
        var belief: Double?
        if edge > 0 {
            let no = floor.quote(m, outcome: 1, at: time)
            let beliefYes = beliefYes(m, at: time, edge: edge, mid: yes.mid)
            let gainYes = beliefYes - yes.askPrice - floor.feePerShare(m, price: yes.askPrice) - Self.margin
            let gainNo = (1 - beliefYes) - no.askPrice - floor.feePerShare(m, price: no.askPrice) - Self.margin
            guard max(gainYes, gainNo) > 0 else { return false }
            outcome = gainYes >= gainNo ? 0 : 1
            belief = outcome == 0 ? beliefYes : 1 - beliefYes
        } else {
            // No edge: a mild taste for the cheaper side (the longshot) — the bias that keeps
            // long shots dear.
            outcome = rng.chance(0.5 + 0.1 * (0.5 - yes.mid)) ? 0 : 1
        }
        buyAsTaker(m, outcome: outcome, at: time, belief: belief)
        // Bursts: the same idea again within minutes (an informed wallet only while it still
        // sees the mispricing).
        if rng.chance(0.12) {
            let repeats = rng.nextInt(in: 1...4)
            schedule(Scheduled(
                time: time + Int64(rng.nextInt(in: 20...600)),
                action: .repeatBuy(market: m, outcome: outcome, edge: edge, left: repeats)))
        }
        return true
    }

    /// What an informed wallet expects to make per share buying `outcome` at the ask now, and
    /// its belief in that outcome.
    mutating func gain(_ m: Int, outcome: Int, at time: Int64, edge: Double) -> (gain: Double, belief: Double) {
        let yes = beliefYes(m, at: time, edge: edge, mid: floor.quote(m, outcome: 0, at: time).mid)
        let belief = outcome == 0 ? yes : 1 - yes
        let quote = floor.quote(m, outcome: outcome, at: time)
        return (belief - quote.askPrice - floor.feePerShare(m, price: quote.askPrice) - Self.margin, belief)
    }

    /// A taker buy of the wallet's usual size; `belief`: its belief in the outcome when informed.
    mutating func buyAsTaker(_ m: Int, outcome: Int, at time: Int64, belief: Double?) {
        let shares = sizeShares(m, price: floor.quote(m, outcome: outcome, at: time).askPrice)
        walk(TakerOrder(market: m, outcome: outcome, isBuy: true, shares: shares, belief: belief), at: time)
    }

    /// One taker order walking the book, one fill per level it takes (one transaction hash), best
    /// level first. An informed wallet takes a level while it still expects to make, after the fee
    /// and its margin, at least half what the best level offered when it decided; one without an
    /// edge takes ``uninformedLevels``. What the levels do not hold waits for the makers to refill
    /// (two to ten minutes) and goes again, up to ``maxSlices`` in all, while the market is open
    /// and the price still suits: large orders go in slices, as whales place them, and the cost of
    /// size comes from the book's depth.
    mutating func walk(_ order: TakerOrder, at time: Int64) {
        var order = order
        let m = order.market
        if order.slice > 0 {
            guard floor.isOpen(m, at: time) else { return }
            if !order.isBuy { order.shares = min(order.shares, ledger.positions.shares(m << 1 | order.outcome)) }
            guard order.shares > 0 else { return }
        }
        let levels = floor.levels(m, outcome: order.outcome, buying: order.isBuy, at: time)
            .prefix(order.belief == nil ? Self.uninformedLevels : OrderBookModel.levelsPerSide)
        if order.slice == 0, let best = levels.first {
            order.minimumGain = max(0, gain(order, price: best.price) / 2)
        }
        let transaction = rng.next()
        var left = order.shares
        for (k, level) in levels.enumerated() {
            guard (k == 0 && order.slice == 0) || worthIt(order, price: level.price) else { break }
            let part = min(left, Int64((level.size * 1e6).rounded()))
            let priceMicros = Int64((level.price * 1e6).rounded())
            record(m, outcome: order.outcome, isBuy: order.isBuy, shares: part, priceMicros: priceMicros, at: time, transaction: transaction)
            // Now and then the API lists the very same fill twice (same hash, size, price).
            if rng.chance(0.002) {
                record(m, outcome: order.outcome, isBuy: order.isBuy, shares: part, priceMicros: priceMicros, at: time, transaction: transaction)
            }
            left -= part
            if left <= 0 { return }
        }
        guard left > 0, order.belief != nil, order.slice + 1 < Self.maxSlices else { return }
        order.shares = left
        order.slice += 1
        let next = time + Int64(rng.nextInt(in: 120...600))
        guard next < floor.endTime else { return }
        schedule(Scheduled(time: next, action: .slice(order)))
    }

    /// Whether an order still takes a level at `price`: an informed one while what it expects
    /// there is positive and at least its minimum.
    func worthIt(_ order: TakerOrder, price: Double) -> Bool {
        guard order.belief != nil else { return true }
        let expected = gain(order, price: price)
        return expected > 0 && expected >= order.minimumGain
    }

    /// What an informed order expects per share at `price`, after the fee and its margin.
    func gain(_ order: TakerOrder, price: Double) -> Double {
        guard let belief = order.belief else { return 0 }
        let fee = floor.feePerShare(order.market, price: price)
        return order.isBuy ? belief - price - fee - Self.margin : price - fee - Self.margin - belief
    }

    /// An adversarial episode: buy "Yes" in tranches while the price is pushed up, then dump
    /// once the push has collapsed (the midpoint's next node after the window), into the bid.
    mutating func schedulePump(_ pump: PumpWindow) {
        let tranches = rng.nextInt(in: 5...10)
        for k in 0..<tranches {
            let time = pump.from + (pump.to - pump.from) * Int64(k) / Int64(tranches) + Int64(rng.nextInt(in: 0...300))
            if time < pump.to { schedule(Scheduled(time: time, action: .pumpBuy(market: pump.market))) }
        }
        let dump = pump.to + floor.histories[pump.market].step + Int64(rng.nextInt(in: 60...600))
        schedule(Scheduled(time: dump, action: .pumpDump(market: pump.market)))
    }

    mutating func dump(_ m: Int, at time: Int64) {
        let outcome = 0
        let held = ledger.positions.shares(m << 1 | outcome)
        guard held > 0, floor.isOpen(m, at: time) else { return }
        let quote = floor.quote(m, outcome: outcome, at: time)
        let transaction = rng.next()
        let first = held / 2
        record(m, outcome: outcome, isBuy: false, shares: first, priceMicros: quote.touch.bidMicros, at: time, transaction: transaction)
        record(
            m, outcome: outcome, isBuy: false, shares: held - first,
            priceMicros: max(quote.touch.tickMicros, quote.touch.bidMicros - quote.touch.tickMicros), at: time, transaction: transaction)
    }

    // MARK: sizes

    /// Shares for a log-normal notional, in micro-shares; taker orders respect only a dollar, as
    /// market orders on Polymarket do. Half the orders are whole cents of USDC (so shares carry
    /// six decimals, as in the real data), half whole hundredths of a share.
    mutating func sizeShares(_ m: Int, price: Double) -> Int64 {
        let usdc = max(1, wallet.medianUSDC * exp(wallet.sizeSigma * rng.nextGaussian()))
        let minimum = 0.01
        let p = max(price, 0.001)
        if rng.chance(0.5) {
            let shares = max(minimum, ((usdc / p) * 100).rounded(.down) / 100)
            return max(10_000, Int64((shares * 1e6).rounded()))
        }
        let cents = max(1, (usdc * 100).rounded())
        let shares = max(minimum, cents / 100 / p)
        return max(10_000, Int64((shares * 1e6).rounded(.down)))
    }

    // MARK: accounting

    mutating func record(
        _ m: Int, outcome: Int, isBuy: Bool, shares: Int64, priceMicros: Int64, at time: Int64, transaction: UInt64? = nil
    ) {
        guard shares > 0, priceMicros > 0, priceMicros < 1_000_000, time < floor.endTime else { return }
        let market = floor.markets[m]
        let price = Double(priceMicros) / 1e6
        let fee = Int64((Double(shares) * market.takerFeeRate * price * (1 - price)).rounded())
        let applied = ledger.positions.apply(key: m << 1 | outcome, isBuy: isBuy, shares: shares, priceMicros: priceMicros, feeMicros: fee)
        guard applied > 0 else { return }
        if movesPrice {
            floor.move(m, outcome: outcome, isBuy: isBuy, notional: Double(applied) / 1e6 * price, at: time)
            floor.took(m, outcome: outcome, isBuy: isBuy, shares: Double(applied) / 1e6, at: time)
        }
        let expectedValue = floor.expectedValue(m, outcome: outcome, isBuy: isBuy, price: price, taker: true, at: time)
        ledger.trades.append(SimulatedTrade.fill(
            time: time, wallet: walletIndex, market: m, sequence: sequence, outcome: outcome, isBuy: isBuy, isMaker: false,
            positiveExpectedValue: expectedValue > 0, shares: applied, priceMicros: priceMicros,
            transaction: transaction ?? rng.next(), rng: &rng))
        sequence += 1
    }
}

extension SimulatedTrade {
    /// A fill; the row's printed price is, as the Data API prints it, USDC ÷ shares most of the
    /// time (float noise when the division is inexact).
    static func fill(
        time: Int64, wallet: Int, market: Int, sequence: Int32, outcome: Int, isBuy: Bool, isMaker: Bool,
        positiveExpectedValue: Bool, shares: Int64, priceMicros: Int64, transaction: UInt64, rng: inout SplitMix64
    ) -> SimulatedTrade {
        let notional = mulDiv(shares, priceMicros, 1_000_000)
        let rowPrice = notional > 0 && rng.chance(0.6) ? Double(notional) / Double(shares) : Double(priceMicros) / 1e6
        return SimulatedTrade(
            time: time, wallet: Int32(wallet), market: Int32(market), sequence: sequence, outcomeIndex: UInt8(outcome),
            isBuy: isBuy, isMaker: isMaker, positiveExpectedValue: positiveExpectedValue, sharesMicros: shares,
            priceMicros: priceMicros, rowPrice: rowPrice, transactionSeed: transaction)
    }
}

/// `a × b ÷ c` without overflowing the intermediate product (truncates toward zero).
func mulDiv(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
    let product = a.multipliedFullWidth(by: b)
    return c.dividingFullWidth(product).quotient
}
