import Foundation

/// What trade generation reads: markets with their paths, and which markets are open each day.
struct TradingFloor: Sendable {
    var markets: [MarketTruth]
    var categories: [Int]
    var histories: [PriceHistoryLine]
    var truths: [[Double]]
    var openByDay: [[Int32]]
    var firstDay: Int64
    var startTime: Int64
    var endTime: Int64

    init(drafts: [MarketDraft], histories: [PriceHistoryLine], truths: [[Double]], startTime: Int64, endTime: Int64) {
        markets = drafts.map(\.truth)
        categories = drafts.map { d in CategoryProfile.all.firstIndex { $0.name == d.truth.category } ?? 0 }
        self.histories = histories
        self.truths = truths
        self.startTime = startTime
        self.endTime = endTime
        firstDay = startTime / 86_400
        openByDay = TradingFloor.index(markets, startTime: startTime, endTime: endTime)
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
}

/// One wallet's fills and its exact accounting.
struct WalletLedger: Sendable {
    var trades: [SimulatedTrade] = []
    var volumeMicros: Int64 = 0
    var realizedMicros: Int64 = 0
}

/// Generates one wallet's trades in time order, holding its positions so that it only sells
/// what it owns, and realizing P&L at average cost (sales, then resolutions by the world's end).
struct TradeGenerator {
    let floor: TradingFloor
    let wallet: WalletDraft
    let walletIndex: Int
    var rng: SplitMix64

    struct Holding {
        var shares: Int64 = 0
        var cost: Int64 = 0
    }

    var holdings: [Int: Holding] = [:]
    var closed: [Int: Holding] = [:]
    var ledger = WalletLedger()
    var sequence: Int32 = 0

    init(floor: TradingFloor, wallet: WalletDraft, walletIndex: Int, seed: UInt64) {
        self.floor = floor
        self.wallet = wallet
        self.walletIndex = walletIndex
        rng = SplitMix64(seed: seed, stream: 5, index: walletIndex)
    }

    mutating func run(pumps: [PumpWindow]) -> WalletLedger {
        if wallet.style == .adversarial {
            for pump in pumps { runPump(pump) }
        } else {
            let ratePerSecond = wallet.rate / 86_400
            if ratePerSecond > 0 {
                var time = wallet.joined + Int64(rng.nextExponential(rate: ratePerSecond))
                while time < floor.endTime {
                    decide(at: time)
                    time += max(1, Int64(rng.nextExponential(rate: ratePerSecond)))
                }
            }
        }
        settleResolved()
        return ledger
    }

    // MARK: decisions

    mutating func decide(at time: Int64) {
        let sellChance = wallet.style == .marketMaker ? 0.45 : 0.3
        if !holdings.isEmpty, rng.chance(sellChance), trySell(at: time) { return }
        let tries = wallet.skill > 0 ? 6 : 1
        for _ in 0..<tries {
            let category = wallet.style == .specialist && rng.chance(0.85) ? wallet.category : nil
            guard let m = floor.openMarket(at: time, category: category, &rng) else { continue }
            if tryBuy(market: m, at: time) { return }
        }
    }

    /// Informed wallets sell when their belief falls below the bid; others sell at random;
    /// market makers offer their inventory at the ask.
    mutating func trySell(at time: Int64) -> Bool {
        // Positions in closed markets wait for settlement; pruning them keeps this scan short.
        for (key, holding) in holdings where time >= floor.markets[key >> 1].closedTime - 120 {
            closed[key] = holding
            holdings.removeValue(forKey: key)
        }
        let open = holdings.filter { $0.value.shares > 0 && floor.isOpen($0.key >> 1, at: time) }.keys.sorted()
        guard !open.isEmpty else { return false }
        let key = open[Int(rng.next() % UInt64(open.count))]
        let m = key >> 1
        let outcome = key & 1
        let held = holdings[key]!.shares
        let quote = quotes(m, outcome: outcome, at: time)
        let edge = wallet.edge(category: floor.categories[m], at: time)
        if wallet.style == .marketMaker {
            let shares = max(1, held / Int64(rng.nextInt(in: 1...3)))
            record(m, outcome: outcome, isBuy: false, maker: true, shares: shares, priceTicks: quote.ask, at: time)
            return true
        }
        if edge > 0 {
            let belief = edge * privateSignal(floor.trueProbability(m, outcome: outcome, at: time)) + (1 - edge) * quote.mid
            guard belief < quote.bidPrice - threshold(m, price: quote.bidPrice) else { return false }
            record(m, outcome: outcome, isBuy: false, maker: false, shares: held, priceTicks: quote.bid, at: time)
            return true
        }
        let shares = rng.chance(0.5) ? held : max(1, held / 2)
        record(m, outcome: outcome, isBuy: false, maker: false, shares: shares, priceTicks: quote.bid, at: time)
        return true
    }

    mutating func tryBuy(market m: Int, at time: Int64) -> Bool {
        let edge = wallet.edge(category: floor.categories[m], at: time)
        var outcome: Int
        if wallet.style == .marketMaker {
            outcome = rng.chance(0.5) ? 0 : 1
            let quote = quotes(m, outcome: outcome, at: time)
            record(m, outcome: outcome, isBuy: true, maker: true, shares: sizeShares(m, price: quote.bidPrice, maker: true), priceTicks: quote.bid, at: time)
            return true
        }
        if edge > 0 {
            let yes = quotes(m, outcome: 0, at: time)
            let no = quotes(m, outcome: 1, at: time)
            let q = privateSignal(floor.trueProbability(m, outcome: 0, at: time))
            let beliefYes = edge * q + (1 - edge) * yes.mid
            let gainYes = beliefYes - yes.askPrice - threshold(m, price: yes.askPrice)
            let gainNo = (1 - beliefYes) - no.askPrice - threshold(m, price: no.askPrice)
            guard max(gainYes, gainNo) > 0 else { return false }
            outcome = gainYes >= gainNo ? 0 : 1
        } else {
            // No edge: a mild favourite bias.
            outcome = rng.chance(0.5 + 0.3 * (quotes(m, outcome: 0, at: time).mid - 0.5)) ? 0 : 1
        }
        buyAsTaker(m, outcome: outcome, at: time)
        // Bursts: the same idea again within minutes.
        if rng.chance(0.12) {
            var t = time
            for _ in 0..<rng.nextInt(in: 1...4) {
                t += Int64(rng.nextInt(in: 20...600))
                guard floor.isOpen(m, at: t) else { break }
                buyAsTaker(m, outcome: outcome, at: t)
            }
        }
        return true
    }

    mutating func buyAsTaker(_ m: Int, outcome: Int, at time: Int64) {
        let quote = quotes(m, outcome: outcome, at: time)
        let shares = sizeShares(m, price: quote.askPrice)
        let market = floor.markets[m]
        let maxTicks = Int((1 / market.tick).rounded()) - 1
        // A large order sweeps the touch: two or three fills at successive ticks, one hash.
        let touchDepthUSDC = market.liquidity / 10
        let notional = Double(shares) / 1e6 * quote.askPrice
        let fills = notional > 5 * touchDepthUSDC || rng.chance(0.01) ? rng.nextInt(in: 2...3) : 1
        let transaction = rng.next()
        var left = shares
        for k in 0..<fills {
            let part = k == fills - 1 ? left : max(1, left / Int64(rng.nextInt(in: 2...3)))
            left -= part
            let ticks = min(maxTicks, quote.ask + k)
            record(m, outcome: outcome, isBuy: true, maker: false, shares: part, priceTicks: ticks, at: time, transaction: transaction)
            // Now and then the API lists the very same fill twice (same hash, size, price).
            if rng.chance(0.002) {
                record(m, outcome: outcome, isBuy: true, maker: false, shares: part, priceTicks: ticks, at: time, transaction: transaction)
            }
            if left <= 0 { break }
        }
    }

    /// An adversarial episode: buy in tranches while the price is pushed up, then dump at the top.
    mutating func runPump(_ pump: PumpWindow) {
        let tranches = rng.nextInt(in: 5...10)
        let outcome = 0
        for k in 0..<tranches {
            let time = pump.from + (pump.to - pump.from) * Int64(k) / Int64(tranches) + Int64(rng.nextInt(in: 0...300))
            guard floor.isOpen(pump.market, at: time) else { continue }
            let quote = quotes(pump.market, outcome: outcome, at: time)
            record(pump.market, outcome: outcome, isBuy: true, maker: false, shares: sizeShares(pump.market, price: quote.askPrice), priceTicks: quote.ask, at: time)
        }
        let dump = pump.to + Int64(rng.nextInt(in: 60...600))
        let key = pump.market << 1 | outcome
        guard let held = holdings[key]?.shares, held > 0, floor.isOpen(pump.market, at: dump) else { return }
        let quote = quotes(pump.market, outcome: outcome, at: dump)
        let transaction = rng.next()
        let first = held / 2
        record(pump.market, outcome: outcome, isBuy: false, maker: false, shares: first, priceTicks: quote.bid, at: dump, transaction: transaction)
        record(pump.market, outcome: outcome, isBuy: false, maker: false, shares: held - first, priceTicks: max(1, quote.bid - 1), at: dump, transaction: transaction)
    }

    /// What an informed wallet learns of the true probability: the truth seen through noise
    /// (0.5 in log-odds), so even the best wallets sometimes take a bad trade.
    mutating func privateSignal(_ q: Double) -> Double {
        let clamped = min(1 - 1e-9, max(1e-9, q))
        return 1 / (1 + exp(-(log(clamped / (1 - clamped)) + 0.5 * rng.nextGaussian())))
    }

    // MARK: prices and sizes

    struct Quote {
        var bid: Int
        var ask: Int
        var tick: Double
        var mid: Double
        var bidPrice: Double { Double(bid) * tick }
        var askPrice: Double { Double(ask) * tick }
    }

    func quotes(_ m: Int, outcome: Int, at time: Int64) -> Quote {
        let market = floor.markets[m]
        let midpoint = floor.histories[m].midpoint(at: time)
        let touch = OrderBookModel.touch(market: market, outcomeIndex: outcome, midpoint: midpoint)
        return Quote(bid: touch.bid, ask: touch.ask, tick: market.tick, mid: outcome == 0 ? midpoint : 1 - midpoint)
    }

    /// The margin an informed wallet wants: a cent and a half plus the taker fee per share.
    func threshold(_ m: Int, price: Double) -> Double {
        0.015 + floor.markets[m].takerFeeRate * price * (1 - price)
    }

    /// Shares for a log-normal notional, in micro-shares. Resting (maker) orders respect the
    /// market's minimum size; taker orders only a dollar, as market orders on Polymarket do.
    /// Half the orders are whole cents of USDC (so shares carry six decimals, as in the real
    /// data), half whole hundredths of a share.
    mutating func sizeShares(_ m: Int, price: Double, maker: Bool = false) -> Int64 {
        let usdc = max(1, wallet.medianUSDC * exp(wallet.sizeSigma * rng.nextGaussian()))
        let minimum = maker ? floor.markets[m].minOrderSize : 0.01
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
        _ m: Int, outcome: Int, isBuy: Bool, maker: Bool, shares: Int64, priceTicks: Int, at time: Int64,
        transaction: UInt64? = nil
    ) {
        guard shares > 0 else { return }
        let market = floor.markets[m]
        let tickMicros = Int64((market.tick * 1e6).rounded())
        let priceMicros = Int64(priceTicks) * tickMicros
        guard priceMicros > 0, priceMicros < 1_000_000 else { return }
        let price = Double(priceMicros) / 1e6
        let notional = shares * priceMicros / 1_000_000
        let fee = maker ? 0 : Int64((Double(shares) * market.takerFeeRate * price * (1 - price)).rounded())
        let q = floor.trueProbability(m, outcome: outcome, at: time)
        let feePerShare = maker ? 0 : market.takerFeeRate * price * (1 - price)
        let expectedValue = isBuy ? q - price - feePerShare : price - q - feePerShare
        // The Data API prints price as USDC ÷ shares: float noise when the division is inexact.
        let rowPrice = notional > 0 && rng.chance(0.6) ? Double(notional) / Double(shares) : price

        let key = m << 1 | outcome
        var holding = holdings[key] ?? Holding()
        if isBuy {
            holding.shares += shares
            holding.cost += notional
        } else {
            let sold = min(shares, holding.shares)
            guard sold > 0 else { return }
            let basis = holding.shares > 0 ? mulDiv(holding.cost, sold, holding.shares) : 0
            ledger.realizedMicros += sold * priceMicros / 1_000_000 - basis
            holding.shares -= sold
            holding.cost -= basis
        }
        holdings[key] = holding
        ledger.realizedMicros -= fee
        ledger.volumeMicros += notional
        ledger.trades.append(SimulatedTrade(
            time: time, wallet: Int32(walletIndex), market: Int32(m), sequence: sequence, outcomeIndex: UInt8(outcome),
            isBuy: isBuy, isMaker: maker, positiveExpectedValue: expectedValue > 0, sharesMicros: shares,
            priceMicros: priceMicros, rowPrice: rowPrice, transactionSeed: transaction ?? rng.next()))
        sequence += 1
    }

    /// Positions in markets resolved by the world's end pay 1, 0, or 0.5 when void.
    mutating func settleResolved() {
        closed.merge(holdings) { _, latest in latest }
        for (key, holding) in closed.sorted(by: { $0.key < $1.key }) where holding.shares > 0 {
            let market = floor.markets[key >> 1]
            guard market.resolvedAt <= floor.endTime else { continue }
            let payoutMicros: Int64 =
                switch market.outcome {
                case .void: 500_000
                case .yes: (key & 1) == 0 ? 1_000_000 : 0
                case .no: (key & 1) == 1 ? 1_000_000 : 0
                }
            ledger.realizedMicros += holding.shares * payoutMicros / 1_000_000 - holding.cost
        }
    }
}

/// `a × b ÷ c` without overflowing the intermediate product (truncates toward zero).
func mulDiv(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
    let product = a.multipliedFullWidth(by: b)
    return c.dividingFullWidth(product).quotient
}
