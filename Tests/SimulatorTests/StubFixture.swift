import Foundation
import RemoraSimulator

/// A hand-made world for the API stub's tests: three markets and 41 trades whose consequences
/// (positions, payouts, statuses) are simple enough to compute by hand.
///
/// | market | gamma id | open → closed | resolution |
/// |---|---|---|---|
/// | A "resolved" | 101 | T0 → T0+120h | proposed +1h, resolved YES at T0+123h |
/// | B "disputed" | 102 | T0+24h → T0+144h | proposed +1h, disputed from T0+146h, resolves NO after the world's end |
/// | C "void"     | 103 | T0 → T0+72h | proposed +1h, resolved void at T0+96h |
///
/// The world ends at T0+240h. A and C share event 9001; B is alone in event 9002.
enum StubFixture {
    static let t0: Int64 = 1_767_225_600  // 2026-01-01T00:00:00Z
    static let hour: Int64 = 3_600
    static let end = t0 + 240 * hour

    static let alice = "0x" + String(repeating: "a1", count: 20)
    static let bob = "0x" + String(repeating: "b2", count: 20)
    static let carol = "0x" + String(repeating: "c3", count: 20)  // the market maker: only M rows
    static let dave = "0x" + String(repeating: "d4", count: 20)

    struct MarketSpec {
        let name: String
        let gammaId: String
        let conditionId: String
        let tokens: [String]
        let category: String
        let eventId: String
        let eventSlug: String
        let question: String
        let start: Int64
        let closed: Int64
        let proposed: Int64
        let dispute: DisputeWindow?
        let resolved: Int64
        let outcome: TrueOutcome
        /// Midpoint path: linear from `from` to `to` over [start, closed], hourly nodes.
        let from: Double
        let to: Double

        var truth: MarketTruth {
            MarketTruth(
                conditionId: conditionId, gammaId: gammaId, category: category, tokenIds: tokens,
                initialProbability: from, outcome: outcome, startTime: start, closedTime: closed, proposedAt: proposed,
                dispute: dispute, resolvedAt: resolved, tick: 0.01, minOrderSize: 5, takerFeeRate: 0, liquidity: 1_000,
                spreadTicks: 2)
        }

        var prices: PriceHistoryLine {
            let nodes = Int((closed - start) / StubFixture.hour)
            return PriceHistoryLine(
                conditionId: conditionId, token: tokens[0], start: start, step: StubFixture.hour,
                p: (0...nodes).map { from + (to - from) * Double($0) / Double(nodes) })
        }
    }

    static let marketA = MarketSpec(
        name: "A", gammaId: "101", conditionId: "0x" + String(repeating: "0a", count: 32), tokens: ["1001", "1002"],
        category: "politics", eventId: "9001", eventSlug: "event-a",
        question: "Will \"A\" happen \u{2014} yes or no?",  // quotes and a non-ASCII dash: the scanner must skip them
        start: t0, closed: t0 + 120 * hour, proposed: t0 + 121 * hour, dispute: nil, resolved: t0 + 123 * hour,
        outcome: .yes, from: 0.40, to: 0.80)
    static let marketB = MarketSpec(
        name: "B", gammaId: "102", conditionId: "0x" + String(repeating: "0b", count: 32), tokens: ["2001", "2002"],
        category: "sports", eventId: "9002", eventSlug: "event-b", question: "Will B win?",
        start: t0 + 24 * hour, closed: t0 + 144 * hour, proposed: t0 + 145 * hour,
        dispute: DisputeWindow(from: t0 + 146 * hour, to: t0 + 300 * hour), resolved: t0 + 320 * hour,
        outcome: .no, from: 0.60, to: 0.30)
    static let marketC = MarketSpec(
        name: "C", gammaId: "103", conditionId: "0x" + String(repeating: "0c", count: 32), tokens: ["3001", "3002"],
        category: "crypto", eventId: "9001", eventSlug: "event-a", question: "Will C be void?",
        start: t0, closed: t0 + 72 * hour, proposed: t0 + 73 * hour, dispute: nil, resolved: t0 + 96 * hour,
        outcome: .void, from: 0.50, to: 0.50)
    static let markets = [marketA, marketB, marketC]

    struct TradeSpec {
        let time: Int64
        let wallet: String
        let market: MarketSpec
        let outcome: Int
        let isBuy: Bool
        let size: Double
        let price: Double
        let isMaker: Bool
        let transactionHash: String
        var notional: Double { size * price }
    }

    /// The trades in file order (oldest first; ties keep this order).
    static let trades: [TradeSpec] = {
        var list: [TradeSpec] = []
        var serial = 0
        func add(
            _ hours: Int64, _ wallet: String, _ market: MarketSpec, _ outcome: Int, buy: Bool, _ size: Double,
            _ price: Double, maker: Bool = false, hash: String? = nil
        ) {
            serial += 1
            let transactionHash = hash ?? "0x" + String(format: "%064x", serial)
            list.append(
                TradeSpec(
                    time: t0 + hours * hour, wallet: wallet, market: market, outcome: outcome, isBuy: buy, size: size,
                    price: price, isMaker: maker, transactionHash: transactionHash))
        }
        let shared = "0x" + String(repeating: "ee", count: 32)
        // Alice, the hand-computed book.
        add(1, alice, marketA, 0, buy: true, 120, 0.50, hash: shared)  // two fills, one transaction
        add(1, alice, marketA, 0, buy: true, 80, 0.50, hash: shared)
        add(1, carol, marketA, 1, buy: true, 200, 0.50, maker: true, hash: shared)
        add(2, alice, marketA, 1, buy: true, 40, 0.45)
        add(2, carol, marketA, 0, buy: true, 40, 0.55, maker: true)
        add(3, alice, marketC, 0, buy: true, 10, 0.50)
        add(25, alice, marketB, 0, buy: true, 100, 0.60)
        add(48, alice, marketB, 0, buy: true, 50, 0.45)
        add(72, alice, marketB, 0, buy: false, 30, 0.50)
        // Bob and Dave trade around them; Carol makes some of their fills.
        for k in 0..<11 {
            let market = [marketA, marketB, marketC][k % 3]
            let hours = market.start / hour - t0 / hour + 4 + Int64(k) * 5
            add(hours, bob, market, k % 2, buy: true, 10 + Double(k), 0.40 + 0.01 * Double(k))
            if k % 2 == 0 { add(hours, carol, market, 1 - k % 2, buy: true, 10 + Double(k), 0.60 - 0.01 * Double(k), maker: true) }
            add(hours + 1, dave, market, (k + 1) % 2, buy: true, 5 + Double(k), 0.35 + 0.02 * Double(k))
        }
        add(100, bob, marketB, 0, buy: false, 3, 0.40)
        add(101, dave, marketB, 1, buy: false, 2, 0.55)
        add(110, bob, marketA, 0, buy: true, 25, 0.75)
        add(111, dave, marketA, 1, buy: true, 20, 0.25)
        return list.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }()

    /// Writes the world into a fresh temporary directory.
    static func write() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("remora-stub-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()

        let manifest = WorldManifest(
            generator: "stub-fixture", seed: 1, wallets: 4, markets: markets.count, months: 0, startTime: t0,
            endTime: end, trades: trades.count)
        try encoder.encode(manifest).write(to: directory.appendingPathComponent(WorldFileName.manifest))

        let truth = WorldTruth(
            generator: "stub-fixture", seed: 1, wallets: [], markets: markets.map(\.truth),
            trades: TradeTruth(
                labels: String(repeating: "-", count: trades.count),
                roles: String(trades.map { $0.isMaker ? "M" : "T" })))
        try encoder.encode(truth).write(to: directory.appendingPathComponent(WorldFileName.truth))

        let gamma = try JSONSerialization.data(
            withJSONObject: markets.map(gammaObject), options: [.sortedKeys, .withoutEscapingSlashes])
        try gamma.write(to: directory.appendingPathComponent(WorldFileName.markets))

        let prices = try markets.map { String(decoding: try encoder.encode($0.prices), as: UTF8.self) }
        try (prices.joined(separator: "\n") + "\n").write(
            to: directory.appendingPathComponent(WorldFileName.prices), atomically: true, encoding: .utf8)

        try (tradeLines.joined(separator: "\n") + "\n").write(
            to: directory.appendingPathComponent(WorldFileName.trades), atomically: true, encoding: .utf8)
        return directory
    }

    /// The `trades.ndjson` lines, keys in the Data API's order.
    static var tradeLines: [String] { trades.map(tradeLine) }

    static func tradeLine(_ trade: TradeSpec) -> String {
        let market = trade.market
        let name = [alice: "alice", bob: "bob", carol: "carol", dave: "dave"][trade.wallet]!
        func quoted(_ text: String) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed), as: UTF8.self)
        }
        return """
            {"proxyWallet":"\(trade.wallet)","side":"\(trade.isBuy ? "BUY" : "SELL")","asset":"\(market.tokens[trade.outcome])",\
            "conditionId":"\(market.conditionId)","size":\(trade.size),"price":\(trade.price),"timestamp":\(trade.time),\
            "title":\(quoted(market.question)),"slug":"market-\(market.name.lowercased())",\
            "icon":"https://example.com/\(market.name).png","eventSlug":"\(market.eventSlug)",\
            "outcome":"\(trade.outcome == 0 ? "Yes" : "No")","outcomeIndex":\(trade.outcome),"name":"\(name)",\
            "pseudonym":"\(name.capitalized)-Pseudonym","bio":"","profileImage":"https://example.com/\(name).png",\
            "profileImageOptimized":"","transactionHash":"\(trade.transactionHash)"}
            """
    }

    /// A Gamma market object as the generator writes it: the world-end state applied.
    static func gammaObject(_ market: MarketSpec) -> [String: Any] {
        var object: [String: Any] = [
            "id": market.gammaId, "question": market.question, "conditionId": market.conditionId,
            "slug": "market-\(market.name.lowercased())", "category": market.category,
            "startDate": MarketTimeline.iso8601(market.start), "endDate": MarketTimeline.iso8601(market.closed),
            "endDateIso": MarketTimeline.isoDate(market.closed),
            "outcomes": MarketTimeline.jsonEncodedStrings(["Yes", "No"]),
            "clobTokenIds": MarketTimeline.jsonEncodedStrings(market.tokens),
            "liquidity": "1000", "liquidityNum": 1_000.0, "negRisk": false, "orderPriceMinTickSize": 0.01,
            "orderMinSize": 5, "enableOrderBook": true, "icon": "https://example.com/\(market.name).png",
            "image": "https://example.com/\(market.name).png", "description": "Fixture market \(market.name).",
            "questionID": "0x" + String(repeating: "9\(market.name.lowercased())", count: 32), "volume24hr": 0.0,
            "volume24hrClob": 0.0, "oneDayPriceChange": 0.0, "feesEnabled": false,
            "events": [
                [
                    "id": market.eventId, "slug": market.eventSlug, "title": "Event \(market.eventId)", "active": true,
                    "closed": false,
                ] as [String: Any]
            ],
        ]
        let volume = trades.filter { $0.market.conditionId == market.conditionId && !$0.isMaker }.reduce(0) {
            $0 + $1.notional
        }
        let midpoint = market.prices.midpoint(at: end)
        let state = MarketTimeline.state(of: market.truth, at: end, midpoint: midpoint)
        MarketTimeline.apply(state, market: market.truth, volume: volume, midpoint: midpoint, to: &object)
        return object
    }
}
