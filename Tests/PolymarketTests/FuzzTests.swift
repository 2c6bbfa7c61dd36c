import Foundation
import RemoraCore
import RemoraModel
import RemoraSimulator
import RemoraTestSupport
import Testing

@testable import RemoraPolymarket

/// Rows as they come from outside, mutated: real `/trades` rows (the captures, when present) and
/// the simulator's, Gamma market objects, and `trade` payloads as the bus carries them. Every
/// mutation must end as a value or as a typed reject with a reason, never as a trap: a trap here
/// is a stage in a restart loop on the same row.
@Suite("Fuzz: hostile numbers from outside")
struct FuzzTests {
    /// Values that broke or could break a conversion: overflow, precision, sign, type, shape.
    nonisolated(unsafe) static let hostileValues: [Any] = [
        0, -1, 1, 2, 7, 999, Int64.max, Int64.min, 99_999_999_999_999_999 as Int64, 1e30, -1e30, 1e300, 1e-300, 0.5,
        1.0000001, 9.2e18, 1_767_225_600_000 as Int64, "1e400", "NaN", "Infinity", "-0", "", "0x", "not a number",
        "12345678901234567890123456789", NSNull(), [1, 2], ["a": 1], true,
    ]

    /// A deterministic mutator over JSON objects and their text.
    struct Mutator {
        var rng: SplitMix64

        mutating func pick<T>(_ values: [T]) -> T { values[Int(rng.next() % UInt64(values.count))] }

        /// One to three value-level mutations: the text stays valid JSON.
        mutating func mutateValues(_ object: [String: Any]) -> [String: Any] {
            var object = object
            for _ in 0...(rng.next() % 3) {
                guard let key = object.keys.sorted().isEmpty ? nil : pick(object.keys.sorted()) else { break }
                switch rng.next() % 4 {
                case 0: object[key] = nil  // a field missing
                case 1:
                    if let number = object[key] as? Double { object[key] = "\(number)" }  // number as string
                    else if let text = object[key] as? String, let number = Double(text) { object[key] = number }
                    else { object[key] = pick(FuzzTests.hostileValues) }
                default: object[key] = pick(FuzzTests.hostileValues)
                }
            }
            return object
        }

        /// A text-level mutation (may break the JSON itself).
        mutating func mutateText(_ text: String) -> String {
            var bytes = Array(text.utf8)
            guard !bytes.isEmpty else { return text }
            let at = Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 4 {
            case 0: bytes = Array(bytes.prefix(at))
            case 1: bytes.insert(pick([UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: ","), 0xff, 0x00, UInt8(ascii: "9")]), at: at)
            case 2: bytes.remove(at: at)
            default: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func json(_ object: Any) -> String {
        guard JSONSerialization.isValidJSONObject(object),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Seed `/trades` rows: the simulator's (always) and the captures' (when present).
    static func seedTradeRows() throws -> [[String: Any]] {
        let world = try WorldGenerator.generate(WorldParameters(seed: 3, wallets: 40, markets: 30, months: 2))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try PipelineFeed.write(world, to: folder)
        var rows = try String(contentsOfFile: files.trades, encoding: .utf8).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.filter { $0["proxyWallet"] != nil }
        if capturesPresent, let real = try JSONSerialization.jsonObject(with: try capture("data-api-trades.json")) as? [[String: Any]] {
            rows += real
        }
        return rows
    }

    @Test("≥ 100,000 mutated /trades rows, Gamma markets and bus payloads through every decoder and the settlement and ledger code: no trap, every reject with a reason")
    func mutatedRows() async throws {
        try await offThePool { try mutate() }  // minutes of computation in a debug build
    }

    func mutate() throws {
        let seeds = try Self.seedTradeRows()
        #expect(seeds.count > 100)
        var mutator = Mutator(rng: SplitMix64(seed: 2026))
        let serverTime: Int64 = 1_800_000_000
        let market = try #require(ConditionID("0x" + String(repeating: "ab", count: 32)))
        var accepted: [Trade] = []
        var rejects = 0
        var rows = 0
        var reasonless: [String] = []
        /// Settles a decoded trade every way a market can end, with a random fee, and keeps it for the ledger.
        func exercise(_ trade: Trade) {
            let fee = Int64(mutator.rng.next() % 1_000_001)
            let model = Market(
                conditionId: trade.conditionId, question: "q", category: "other", outcomes: ["Yes", "No"], tokenIds: ["1", "2"],
                endDate: nil, tickSize: Price(micros: 1000), takerFeePpm: fee)
            for outcome in [ResolutionOutcome.winner(index: 0), .winner(index: 1), .void] {
                let settled = Settlement.settle(trade, market: model, resolution: MarketResolution(conditionId: market, outcome: outcome, resolvedAt: trade.timestamp))
                _ = settled.canonicalJSON
            }
            accepted.append(trade)
            if accepted.count == 64 {
                // One wallet's ledger over many extreme fills: sums stay exact or the fill is refused upstream.
                var fills = accepted
                for index in fills.indices { fills[index].wallet = accepted[0].wallet; fills[index].conditionId = market }
                _ = AverageCostLedger.positions(of: fills, market: nil, resolution: MarketResolution(conditionId: market, outcome: .void, resolvedAt: EventTime(millis: 0)))
                accepted.removeAll(keepingCapacity: true)
            }
        }
        while rows < 100_000 {
            let seed = mutator.pick(seeds)
            var text = Self.json(mutator.mutateValues(seed))
            if mutator.rng.next() % 5 == 0 { text = mutator.mutateText(text) }
            rows += 1
            let body = Array(("[" + text + "]").utf8)
            // The client's two decoders: the fast scanner and, when it gives up, the lenient JSON path.
            let entries = TradeRowScanner.entries(body)
                ?? ((try? JSONDecoder().decode([LenientTradeRow].self, from: Data(body)))?.map(\.entry))
            guard let entries else {
                rejects += 1  // the whole page does not parse: the pass fails and is retried, nothing stored
                continue
            }
            for entry in entries {
                switch entry {
                case .undecodable(_, let reason):
                    rejects += 1
                    if reason.isEmpty { reasonless.append(text) }
                case .row(let row):
                    do {
                        let trade = try row.trade(serverTime: serverTime, occurrence: { _ in 0 })
                        exercise(trade)
                        // The same trade as a bus payload, then mutated on the bus.
                        let payload = trade.canonicalJSON
                        #expect(try JSONDecoder().decode(Trade.self, from: Data(payload.utf8)) == trade)
                        if let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] {
                            rows += 1
                            if let onBus = try? JSONDecoder().decode(Trade.self, from: Data(Self.json(mutator.mutateValues(object)).utf8)) {
                                exercise(onBus)
                            } else {
                                rejects += 1
                            }
                        }
                    } catch {
                        rejects += 1
                        if "\(error)".isEmpty { reasonless.append(text) }
                    }
                }
            }
        }
        #expect(rows >= 100_000)
        #expect(rejects > rows / 10, "the mutations must reach the rejects (\(rejects) of \(rows))")
        #expect(reasonless.isEmpty, "\(reasonless.prefix(3))")

        // Gamma market objects: every row is a market or has a stated problem.
        let world = try WorldGenerator.generate(WorldParameters(seed: 4, wallets: 10, markets: 40, months: 1))
        var markets = world.markets.map { GammaMarketObject.object($0, at: world.endTime, volume: 1000) }
        if capturesPresent, let real = (try JSONSerialization.jsonObject(with: try capture("gamma-markets.json")) as? [String: Any])?["markets"] as? [[String: Any]] {
            markets += real
        }
        var gammaRows = 0
        var gammaModels = 0
        for _ in 0..<3_000 {
            var object = mutator.mutateValues(mutator.pick(markets))
            if mutator.rng.next() % 3 == 0 {
                object["feeSchedule"] = ["rate": mutator.pick(FuzzTests.hostileValues)]
                object["feesEnabled"] = true
            }
            gammaRows += 1
            guard let gamma = try? JSONDecoder().decode(GammaMarket.self, from: Data(Self.json(object).utf8)) else { continue }
            if let model = gamma.model() {
                gammaModels += 1
                #expect((0...1_000_000).contains(model.takerFeePpm))
                let again = try JSONDecoder().decode(Market.self, from: JSONCoding.encoder.encode(model))
                #expect(again == model)
                _ = Settlement.takerFee(size: Trade.maximumSize, price: Price(micros: 500_000), feePpm: model.takerFeePpm)
            } else {
                #expect(gamma.modelProblem?.isEmpty == false)
            }
        }
        #expect(gammaModels > 0 && gammaModels < gammaRows)
    }

    @Test("a fee rate of 1e300, NaN or -1 on a Gamma market is a stated problem, not a trap")
    func hostileFeeRates() throws {
        let world = try WorldGenerator.generate(WorldParameters(seed: 4, wallets: 10, markets: 10, months: 1))
        var object = GammaMarketObject.object(world.markets[0], at: world.endTime, volume: 1000)
        object["feesEnabled"] = true
        for rate in ["1e300", "-1", "NaN", "2"] {
            object["feeSchedule"] = ["rate": rate]
            let gamma = try JSONDecoder().decode(GammaMarket.self, from: Data(Self.json(object).utf8))
            #expect(gamma.model() == nil)
            #expect(gamma.modelProblem?.contains("fee rate") == true, "\(rate): \(gamma.modelProblem ?? "none")")
        }
        object["feeSchedule"] = ["rate": 0.04]
        let gamma = try JSONDecoder().decode(GammaMarket.self, from: Data(Self.json(object).utf8))
        #expect(gamma.model()?.takerFeePpm == 40_000)
    }
}
