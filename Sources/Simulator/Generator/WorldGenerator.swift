import Foundation

/// Builds a world: markets and their oracle timelines, wallets and their hidden skill,
/// adversarial pump windows, price paths, then every wallet's trades. Each market and wallet
/// draws from its own random stream, so the work runs on all cores and the result does not
/// depend on scheduling.
public enum WorldGenerator {
    public static func generate(_ p: WorldParameters) throws -> SimulatedWorld {
        try p.validate()
        let drafts = MarketGenerator.drafts(p)
        let walletDrafts = WalletGenerator.drafts(p)
        let pumps = pumpWindows(p, markets: drafts.map(\.truth), wallets: walletDrafts)
        let pumpsByMarket = Dictionary(grouping: pumps, by: \.market)
        let pumpsByWallet = Dictionary(grouping: pumps, by: \.wallet)

        let paths = parallelMap(drafts.count) { i in
            PricePaths.build(draft: drafts[i], index: i, seed: p.seed, pumps: pumpsByMarket[i] ?? [])
        }
        let floor = TradingFloor(
            drafts: drafts, histories: paths.map(\.history), truths: paths.map(\.truth), startTime: p.startTime,
            endTime: p.endTime)
        // The whales first, all of them in one loop in time order: their orders move the
        // midpoint (``PriceMove``), and every later order prices with the moved book. Then retail,
        // whose orders move nothing, on all cores against the moved paths.
        var ledgers = [WalletLedger](repeating: WalletLedger(), count: walletDrafts.count)
        let whales = walletDrafts.indices.filter { walletDrafts[$0].style != .retail && walletDrafts[$0].style != .marketMaker }
        var generators = whales.map { w in
            TradeGenerator(floor: floor, wallet: walletDrafts[w], walletIndex: w, seed: p.seed, pumps: pumpsByWallet[w] ?? [])
        }
        var queue = EventQueue()
        for i in generators.indices where generators[i].nextTime < floor.endTime { queue.push(time: generators[i].nextTime, index: i) }
        while let i = queue.pop() {
            generators[i].step()
            let next = generators[i].nextTime
            if next < floor.endTime { queue.push(time: next, index: i) }
        }
        for (i, w) in whales.enumerated() { ledgers[w] = generators[i].finish() }
        generators = []
        let retail = walletDrafts.indices.filter { walletDrafts[$0].style == .retail }
        let retailLedgers = parallelMap(retail.count) { i in
            var generator = TradeGenerator(floor: floor, wallet: walletDrafts[retail[i]], walletIndex: retail[i], seed: p.seed, pumps: [])
            return generator.run()
        }
        for (i, w) in retail.enumerated() { ledgers[w] = retailLedgers[i] }

        // Every taker fill meets a maker of its market: one pass per market, in time order.
        var grouped = [[SimulatedTrade]](repeating: [], count: drafts.count)
        for ledger in ledgers { for t in ledger.trades { grouped[Int(t.market)].append(t) } }
        let takerFillsByMarket = grouped
        let makerWallets = walletDrafts.indices.filter { walletDrafts[$0].style == .marketMaker }
        let desks = parallelMap(drafts.count) { m in
            let fills = takerFillsByMarket[m].sorted { ($0.time, $0.wallet, $0.sequence) < ($1.time, $1.wallet, $1.sequence) }
            return MakerDesk.match(
                market: m, takerFills: fills, makers: MakerDesk.makers(of: m, among: makerWallets, seed: p.seed), floor: floor,
                seed: p.seed)
        }
        var makerFills: [Int: [SimulatedTrade]] = [:]
        var makerPositions: [Int: (volume: Int64, realized: Int64)] = [:]
        for desk in desks {
            for (maker, book) in desk {
                makerFills[maker, default: []] += book.fills
                let sum = makerPositions[maker] ?? (0, 0)
                makerPositions[maker] = (sum.volume + book.positions.volumeMicros, sum.realized + book.positions.realizedMicros)
            }
        }

        var trades: [SimulatedTrade] = []
        trades.reserveCapacity(ledgers.reduce(0) { $0 + $1.trades.count } * 2)
        for ledger in ledgers { trades += ledger.trades }
        for maker in makerFills.keys.sorted() {
            // A maker's own order of fills: by time, then market (stable within a market).
            var fills = makerFills[maker]!.enumerated().sorted { ($0.element.time, $0.element.market, $0.offset) < ($1.element.time, $1.element.market, $1.offset) }.map(\.element)
            for i in fills.indices { fills[i].sequence = Int32(i) }
            trades += fills
        }
        trades.sort { a, b in
            if a.time != b.time { return a.time < b.time }
            if a.wallet != b.wallet { return a.wallet < b.wallet }
            return a.sequence < b.sequence
        }
        var tradeCounts = [Int](repeating: 0, count: walletDrafts.count)
        for t in trades { tradeCounts[Int(t.wallet)] += 1 }

        let markets = drafts.indices.map { i in
            let d = drafts[i]
            return SimulatedMarket(
                truth: d.truth, question: d.question, slug: d.slug, description: d.description, icon: d.icon,
                questionId: d.questionId, endDate: d.endDate, event: d.event, groupItemTitle: d.groupItemTitle,
                negRisk: d.negRisk, history: floor.histories[i], trueProbability: paths[i].truth)
        }
        // Each wallet's ex-ante expected return per calendar month.
        var monthly = [[String: (value: Double, notional: Double)]](repeating: [:], count: walletDrafts.count)
        for t in trades {
            let m = Int(t.market)
            let price = Double(t.priceMicros) / 1e6
            let shares = Double(t.sharesMicros) / 1e6
            let value = shares * floor.expectedValue(m, outcome: Int(t.outcomeIndex), isBuy: t.isBuy, price: price, taker: !t.isMaker, at: t.time)
            let d = civil(t.time)
            let month = String(format: "%04d-%02d", d.year, d.month)
            let sum = monthly[Int(t.wallet)][month] ?? (0, 0)
            monthly[Int(t.wallet)][month] = (sum.value + value, sum.notional + shares * price)
        }
        let wallets = walletDrafts.indices.map { w in
            let d = walletDrafts[w]
            let maker = makerPositions[w] ?? (0, 0)
            let volume = ledgers[w].positions.volumeMicros + maker.volume
            let realized = ledgers[w].positions.realizedMicros + maker.realized
            return SimulatedWallet(
                truth: WalletTruth(
                    address: d.address, name: d.name, pseudonym: d.pseudonym, style: d.style,
                    skill: roundTo(d.skill, places: 6), category: d.category.map { CategoryProfile.all[$0].name },
                    regimeChange: d.regimeChange, trades: tradeCounts[w],
                    volume: decimalString(Double(volume) / 1e6, places: 6),
                    realizedPnl: decimalString(Double(realized) / 1e6, places: 6),
                    expectedReturnByMonth: monthly[w].isEmpty
                        ? nil : monthly[w].compactMapValues { $0.notional > 0 ? roundTo($0.value / $0.notional, places: 6) : nil }),
                volumeMicros: volume, realizedPnlMicros: realized)
        }
        let conversions = ConversionGenerator.conversions(
            markets: markets, trades: trades, wallets: walletDrafts.count, seed: p.seed, endTime: p.endTime)
        return SimulatedWorld(parameters: p, markets: markets, wallets: wallets, trades: trades, conversions: conversions)
    }

    /// Adversarial episodes: about one every eight expected trades, each in a market with at
    /// least two days left and a tight spread, lasting 2 to 12 hours, pushing the log-odds up by
    /// 0.8 to 1.5 at the peak.
    static func pumpWindows(_ p: WorldParameters, markets: [MarketTruth], wallets: [WalletDraft]) -> [PumpWindow] {
        let openByDay = TradingFloor.index(markets, startTime: p.startTime, endTime: p.endTime)
        let firstDay = p.startTime / 86_400
        var pumps: [PumpWindow] = []
        for (w, wallet) in wallets.enumerated() where wallet.style == .adversarial {
            var rng = SplitMix64(seed: p.seed, stream: 4, index: w)
            let latest = p.endTime - 3 * 86_400
            guard latest > wallet.joined else { continue }
            let days = Double(p.endTime - wallet.joined) / 86_400
            for _ in 0..<rng.nextPoisson(mean: wallet.rate * days / 8) {
                let from = wallet.joined + Int64(rng.nextDouble() * Double(latest - wallet.joined))
                let day = Int(from / 86_400 - firstDay)
                guard day >= 0, day < openByDay.count, !openByDay[day].isEmpty else { continue }
                let duration = Int64((2 + 10 * rng.nextDouble()) * 3_600)
                // A liquid market (spread at most two cents) with two days left after the dump.
                for _ in 0..<10 {
                    let m = Int(openByDay[day][Int(rng.next() % UInt64(openByDay[day].count))])
                    let market = markets[m]
                    guard from >= market.startTime, from + duration < market.closedTime - 2 * 86_400,
                        market.spreadTicks <= 2
                    else { continue }
                    pumps.append(PumpWindow(wallet: w, market: m, from: from, to: from + duration, push: 0.8 + 0.7 * rng.nextDouble()))
                    break
                }
            }
        }
        return pumps
    }
}

/// A min-heap of (time, index): the next event of each whale, ties by index, so the order of
/// events — and the world — does not depend on anything but the seed.
struct EventQueue {
    private var heap: [(time: Int64, index: Int)] = []

    private static func before(_ a: (time: Int64, index: Int), _ b: (time: Int64, index: Int)) -> Bool {
        a.time != b.time ? a.time < b.time : a.index < b.index
    }

    mutating func push(time: Int64, index: Int) {
        heap.append((time, index))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The index of the earliest event, removed.
    mutating func pop() -> Int? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let child = right < heap.count && Self.before(heap[right], heap[left]) ? right : left
                guard Self.before(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        return top.index
    }
}

/// `body(i)` for every index on all cores; results in index order.
func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    var results = [T?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { buffer in
        let slots = UnsafeSlots(buffer: buffer)
        let chunks = min(count, max(1, ProcessInfo.processInfo.activeProcessorCount * 8))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var i = chunk
            while i < count {
                slots.set(i, body(i))
                i += chunks
            }
        }
    }
    return results.map { $0! }
}

/// Each index is written by exactly one worker, so the writes never race.
private struct UnsafeSlots<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T?>
    func set(_ i: Int, _ value: T) { buffer[i] = value }
}
