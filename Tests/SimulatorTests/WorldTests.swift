import Foundation
import RemoraRuntime
import RemoraTestSupport
import Testing

@testable import RemoraSimulator

/// The default world, generated once (off the cooperative pool) for the tests that read it.
let defaultWorldShared = SharedValue { try! WorldGenerator.generate(.demo) }

let capturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/polymarket/captures").standardizedFileURL
let capturesPresent = FileManager.default.fileExists(atPath: capturesFolder.path)

func temporaryFolder(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("remora-\(name)-\(UUID().uuidString)")
}

/// The JSON type of a value as JSONSerialization returns it: string, number, bool, null, array, object.
func jsonType(_ value: Any) -> String {
    switch value {
    case is NSNull: return "null"
    // Foundation on Linux hands booleans back as __NSCFBoolean, other numbers as NSNumber.
    case let n as NSNumber where String(describing: type(of: n)).contains("Boolean"): return "bool"
    case is NSNumber: return "number"
    case is String: return "string"
    case is [Any]: return "array"
    case is [String: Any]: return "object"
    default: return "\(type(of: value))"
    }
}

@Suite("Simulator: the world")
struct WorldTests {
    @Test("same arguments give byte-identical files across processes; another seed gives another world")
    func determinism() async throws {
        let remora = builtProductsDirectory.appendingPathComponent("remora").path
        let folders = [temporaryFolder("a"), temporaryFolder("b"), temporaryFolder("c")]
        defer { for f in folders { try? FileManager.default.removeItem(at: f) } }
        for (folder, seed) in zip(folders, ["5", "5", "6"]) {
            let (status, output) = try await runAndWait([
                remora, "simulate", "--seed", seed, "--wallets", "120", "--markets", "60", "--months", "2", "--out", folder.path,
            ])
            #expect(status == 0, "\(output)")
        }
        for name in WorldFileName.all {
            let a = try Data(contentsOf: folders[0].appendingPathComponent(name))
            let b = try Data(contentsOf: folders[1].appendingPathComponent(name))
            #expect(!a.isEmpty && a == b, "\(name) differs between two runs with the same seed")
        }
        let other = try Data(contentsOf: folders[2].appendingPathComponent(WorldFileName.trades))
        #expect(other != (try Data(contentsOf: folders[0].appendingPathComponent(WorldFileName.trades))))
    }

    @Test("every key of a real /trades row is present with the same JSON type", .enabled(if: capturesPresent, "../shared/polymarket/captures is absent"))
    func tradeRowShape() async throws {
        let defaultWorld = await defaultWorldShared.value
        let real = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: capturesFolder.appendingPathComponent("data-api-trades.json"))) as? [[String: Any]])
        let folder = temporaryFolder("shape")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldWriter.write(defaultWorld, to: folder)
        let lines = try String(contentsOf: folder.appendingPathComponent(WorldFileName.trades), encoding: .utf8).split(separator: "\n")
        for line in lines.prefix(500) {
            let ours = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for (key, value) in real[0] {
                #expect(ours[key].map(jsonType) == jsonType(value), "key \(key)")
            }
            #expect(Set(ours.keys) == Set(real[0].keys))
        }
    }

    @Test("every key all real Gamma markets carry is present with the same JSON type", .enabled(if: capturesPresent, "../shared/polymarket/captures is absent"))
    func gammaMarketShape() async throws {
        let defaultWorld = await defaultWorldShared.value
        let capture = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: capturesFolder.appendingPathComponent("gamma-markets.json"))) as? [String: Any])
        let real = try #require(capture["markets"] as? [[String: Any]])
        var types: [String: Set<String>] = [:]
        var counts: [String: Int] = [:]
        for market in real {
            for (key, value) in market {
                types[key, default: []].insert(jsonType(value))
                counts[key, default: 0] += 1
            }
        }
        let universal = counts.filter { $0.value == real.count }.keys
        let ours = try #require(
            try JSONSerialization.jsonObject(with: WorldWriter.marketsData(defaultWorld)) as? [[String: Any]])
        #expect(ours.count == defaultWorld.markets.count)
        for market in ours {
            for key in universal {
                let value = try #require(market[key], "missing key \(key)")
                #expect(types[key]!.contains(jsonType(value)), "key \(key): \(jsonType(value)) vs \(types[key]!)")
            }
            // Lists inside strings, as the real API sends them.
            for key in ["outcomes", "outcomePrices", "clobTokenIds", "umaResolutionStatuses"] {
                let text = try #require(market[key] as? String)
                #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String], "\(key)")
            }
        }
    }

    @Test("world invariants: prices on the tick inside (0, 1), trades inside their market's life, no sale of shares not held")
    func invariants() async throws {
        let defaultWorld = await defaultWorldShared.value
        let w = defaultWorld
        #expect(w.trades.count > 3_000)
        var held: [Int: Int64] = [:]
        for t in w.trades {
            let market = w.markets[Int(t.market)].truth
            // On the market's tick, or on 0.001 outside 0.04–0.96 (a fill of a sweep can cross).
            let tickMicros = Int64((market.tick * 1e6).rounded())
            let price = Double(t.priceMicros) / 1e6
            #expect(t.priceMicros > 0 && t.priceMicros < 1_000_000 && t.priceMicros % 1_000 == 0)
            if price >= 0.05 && price <= 0.95 && !t.isMaker { #expect(t.priceMicros % tickMicros == 0, "\(price) on \(market.tick)") }
            // The printed float (USDC ÷ shares, with noise) rounds back to the exact tick price.
            #expect(Int64((t.rowPrice / 0.001).rounded()) * 1_000 == t.priceMicros)
            #expect(abs(t.rowPrice - Double(t.priceMicros) / 1e6) < 0.00005)
            #expect(t.time >= w.startTime && t.time < w.endTime)
            #expect(t.time >= market.startTime && t.time < market.closedTime)
            let key = Int(t.wallet) << 20 | Int(t.market) << 1 | Int(t.outcomeIndex)
            held[key, default: 0] += t.isBuy ? t.sharesMicros : -t.sharesMicros
            #expect(held[key]! >= 0, "a wallet sold shares it did not hold")
        }
        for m in w.markets {
            #expect(m.history.p.allSatisfy { $0 > 0 && $0 < 1 })
            #expect(m.truth.startTime < m.truth.closedTime && m.truth.closedTime < m.truth.proposedAt)
            #expect(m.truth.proposedAt < m.truth.resolvedAt)
            #expect(m.truth.conditionId.count == 66 && m.truth.tokenIds.allSatisfy { $0.count >= 76 && $0.allSatisfy(\.isNumber) })
            let mid = m.history.midpoint(at: (m.truth.startTime + m.truth.closedTime) / 2)
            for outcome in 0..<2 {
                let book = OrderBookModel.book(market: m.truth, outcomeIndex: outcome, midpoint: mid, moment: 1)
                // Bids ascending, asks descending: the best level of each side is the last.
                #expect(book.bids.map(\.price) == book.bids.map(\.price).sorted())
                #expect(book.asks.map(\.price) == book.asks.map(\.price).sorted(by: >))
                let bid = try #require(book.bestBid)
                let ask = try #require(book.bestAsk)
                #expect(bid < ask && bid > 0 && ask < 1)
                let tick = OrderBookModel.tick(market: m.truth, price: outcome == 0 ? mid : 1 - mid)
                for level in book.bids + book.asks {
                    let ticks = level.price / tick
                    #expect(abs(ticks - ticks.rounded()) < 1e-6 && level.size >= m.truth.minOrderSize)
                }
            }
        }
        // The traps the ingest must handle are present: fills sharing a hash, voids, disputes,
        // markets still open at the end.
        let hashes = Dictionary(grouping: w.trades, by: \.transactionSeed).values
        #expect(hashes.contains { $0.count > 1 })
        let scale = try WorldGenerator.generate(
            WorldParameters(seed: 2, wallets: 400, markets: 1_000, months: 6, startTime: unixTime(year: 2025, month: 10, day: 1)))
        #expect(scale.markets.contains { $0.truth.outcome == .void })
        #expect(scale.markets.contains { $0.truth.dispute != nil })
        #expect(scale.markets.contains { $0.truth.resolvedAt > scale.endTime })
        #expect(scale.markets.contains { $0.negRisk } && scale.markets.contains { $0.truth.takerFeeRate > 0 })
    }

    @Test("the truth is meaningful: skilled whales beat unskilled ones, and the P&L recomputed from the files matches")
    func truthIsMeaningful() async throws {
        let defaultWorld = await defaultWorldShared.value
        let folder = temporaryFolder("truth")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldWriter.write(defaultWorld, to: folder)
        let truth = try JSONDecoder().decode(WorldTruth.self, from: Data(contentsOf: folder.appendingPathComponent(WorldFileName.truth)))
        let rows = try String(contentsOf: folder.appendingPathComponent(WorldFileName.trades), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == truth.trades.labels.count && rows.count == truth.trades.roles.count)

        // Average-cost P&L from the public rows, the truth's outcomes and roles (for fees).
        let markets = Dictionary(uniqueKeysWithValues: truth.markets.map { ($0.conditionId, $0) })
        let manifest = try JSONDecoder().decode(WorldManifest.self, from: Data(contentsOf: folder.appendingPathComponent(WorldFileName.manifest)))
        var positions: [String: (shares: Int64, cost: Int64)] = [:]
        var pnl: [String: Int64] = [:]
        let roles = Array(truth.trades.roles.utf8)
        for (i, line) in rows.enumerated() {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let wallet = row["proxyWallet"] as! String
            let market = try #require(markets[row["conditionId"] as! String])
            let price = Int64(((row["price"] as! Double) * 1e3).rounded()) * 1_000
            let shares = Int64(((row["size"] as! Double) * 1e6).rounded())
            let key = wallet + "|" + (row["asset"] as! String)
            var position = positions[key] ?? (0, 0)
            if row["side"] as! String == "BUY" {
                position.shares += shares
                position.cost += mulDiv(shares, price, 1_000_000)
            } else {
                let basis = mulDiv(position.cost, shares, position.shares)
                pnl[wallet, default: 0] += mulDiv(shares, price, 1_000_000) - basis
                position.shares -= shares
                position.cost -= basis
            }
            positions[key] = position
            if roles[i] == UInt8(ascii: "T") {
                let p = Double(price) / 1e6
                pnl[wallet, default: 0] -= Int64((Double(shares) * market.takerFeeRate * p * (1 - p)).rounded())
            }
        }
        for (key, position) in positions where position.shares > 0 {
            let parts = key.split(separator: "|")
            let market = try #require(truth.markets.first { $0.tokenIds.contains(String(parts[1])) })
            guard market.resolvedAt <= manifest.endTime else { continue }
            let index = market.tokenIds.firstIndex(of: String(parts[1]))!
            let payout: Int64 =
                switch market.outcome {
                case .void: 500_000
                case .yes: index == 0 ? 1_000_000 : 0
                case .no: index == 1 ? 1_000_000 : 0
                }
            pnl[String(parts[0]), default: 0] += mulDiv(position.shares, payout, 1_000_000) - position.cost
        }
        for wallet in truth.wallets where wallet.trades > 0 {
            let recomputed = Double(pnl[wallet.address] ?? 0) / 1e6
            #expect(abs(recomputed - Double(wallet.realizedPnl)!) < 0.01, "\(wallet.address) \(wallet.style)")
        }

        // Skill pays in expectation, more than no skill does. Realized P&L over three months of a few
        // whales is mostly luck, and even the expected figures of eighteen unskilled whales swing
        // with the markets they happened to trade (docs/simulator.md: each style's sign is asserted
        // on the year-long worlds, in EconomicsTests).
        let economics = WorldEconomics.measure(defaultWorld)
        #expect(economics.row(.skilledWhale).expectedReturnOnVolume > 0.03, "\(economics.table)")
        #expect(economics.row(.skilledWhale).expectedReturnOnVolume > economics.row(.unskilledWhale).expectedReturnOnVolume + 0.03,
                "\(economics.table)")

        // Labels: the skilled mostly take positive expected value, clearly more often than the
        // unskilled and retail (a coin flip each, on so small a world).
        let styleOf = Dictionary(uniqueKeysWithValues: truth.wallets.map { ($0.address, $0.style) })
        var positive: [WalletStyle: (Int, Int)] = [:]
        for (line, label) in zip(rows, truth.trades.labels) {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let style = styleOf[row["proxyWallet"] as! String]!
            let entry = positive[style] ?? (0, 0)
            positive[style] = (entry.0 + (label == "+" ? 1 : 0), entry.1 + 1)
        }
        func share(_ s: WalletStyle) -> Double { Double(positive[s]!.0) / Double(positive[s]!.1) }
        #expect(share(.skilledWhale) > 0.6 && share(.skilledWhale) > share(.unskilledWhale) + 0.1 && share(.skilledWhale) > share(.retail) + 0.1,
                "skilled \(share(.skilledWhale)), unskilled \(share(.unskilledWhale)), retail \(share(.retail))")
    }

    @Test("a disputed market goes open → closed → proposed → disputed → proposed → resolved; a void one resolves at 0.5")
    func timeline() {
        var m = MarketTruth(
            conditionId: "0x" + String(repeating: "a", count: 64), gammaId: "1", category: "politics", tokenIds: ["1", "2"],
            initialProbability: 0.4, outcome: .no, startTime: 1_000, closedTime: 2_000, proposedAt: 3_000,
            dispute: DisputeWindow(from: 4_000, to: 5_000), resolvedAt: 6_000, tick: 0.01, minOrderSize: 5, takerFeeRate: 0,
            liquidity: 10_000, spreadTicks: 2)
        func at(_ t: Int64) -> MarketState { MarketTimeline.state(of: m, at: t, midpoint: 0.42) }
        #expect(!at(1_500).closed && at(1_500).outcomePrices == ["0.42", "0.58"] && at(1_500).umaStatuses.isEmpty)
        #expect(at(2_500).closed && !at(2_500).acceptingOrders && at(2_500).active && at(2_500).umaStatuses.isEmpty)
        #expect(at(3_500).umaStatuses == ["proposed"])
        #expect(at(4_500).umaStatuses == ["proposed", "disputed"] && !at(4_500).resolved)
        #expect(at(5_500).umaStatuses.last == "proposed")
        #expect(at(6_000).resolved && at(6_000).outcomePrices == ["0", "1"] && at(6_000).umaStatuses.last == "resolved")
        m.outcome = .void
        #expect(at(7_000).outcomePrices == ["0.5", "0.5"])
        var object: [String: Any] = [:]
        MarketTimeline.apply(at(2_500), market: m, volume: 12.5, midpoint: 0.42, to: &object)
        #expect(object["closedTime"] as? String == "1970-01-01 00:33:20+00")
        #expect(object["umaResolutionStatuses"] as? String == "[]" && object["volume"] as? String == "12.5")
    }
}
