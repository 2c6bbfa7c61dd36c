public import Foundation
public import RemoraModel

/// A small deterministic world for `remora demo` and the end-to-end test: wallets with a hidden
/// edge, binary markets with a hidden probability, Data-API-shaped trades in time order and a
/// market feed with resolutions (about 2 % voided). The simulator issue replaces it with a
/// calibrated model; this one only has to be honest and repeatable.
public struct SampleWorld: Sendable {
    public var seed: UInt64 = 7
    public var wallets = 60
    public var markets = 80
    public var trades = 3000
    public var start = EventTime(seconds: 1_767_225_600)  // 2026-01-01T00:00:00Z
    public var days = 60

    public struct Files: Sendable {
        public var trades: String
        public var markets: String
        /// The world's last instant: every watermark reaches it once the pipeline has drained.
        public var end: EventTime
        public var tradeCount: Int
    }

    public init(seed: UInt64 = 7, wallets: Int = 60, markets: Int = 80, trades: Int = 3000, days: Int = 60) {
        self.seed = seed
        self.wallets = wallets
        self.markets = markets
        self.trades = trades
        self.days = days
    }

    /// Writes `trades.ndjson` and `markets.ndjson` into `directory`; same arguments, same bytes.
    public func write(to directory: URL) throws -> Files {
        var rng = SplitMix64(seed: seed)
        let span = Int64(days) * 86_400_000
        let end = start.adding(millis: span + 86_400_000)
        let categories = ["politics", "crypto", "sports", "pop-culture", "economics", "other"]
        struct M { var id: String; var tokens: [String]; var truth: Double; var close: Int64; var winner: Int?; var category: String }
        var ms: [M] = []
        var marketLines: [(Int64, String)] = []
        for i in 0..<markets {
            let id = "0x" + hex(&rng, digits: 64)
            let tokens = [decimalToken(&rng), decimalToken(&rng)]
            let truth = 0.1 + 0.8 * rng.nextDouble()
            let close = start.millis + Int64(rng.nextDouble() * Double(span)) + 86_400_000
            let voided = rng.nextDouble() < 0.02
            let winner: Int? = voided ? nil : (rng.nextDouble() < truth ? 0 : 1)
            let category = categories[i % categories.count]
            ms.append(M(id: id, tokens: tokens, truth: truth, close: close, winner: winner, category: category))
            let market = Market(
                conditionId: ConditionID(id)!, question: "Demo market \(i + 1)?", category: category,
                outcomes: ["Yes", "No"], tokenIds: tokens, endDate: EventTime(millis: close),
                tickSize: Price(micros: 10_000), takerFeePpm: i % 3 == 0 ? 30_000 : 0)
            marketLines.append((start.millis - 1, try json(["market": market])))
            let winnerJSON = winner.map(String.init) ?? "null"
            marketLines.append((close, "{\"resolution\":{\"conditionId\":\"\(id)\",\"winner\":\(winnerJSON),\"resolvedAt\":\(close)}}"))
        }
        // Wallet edge: a few skilled (they know the outcome more often), most noise.
        let walletIds = (0..<wallets).map { _ in "0x" + hex(&rng, digits: 40) }
        let edge = (0..<wallets).map { i in i % 10 == 0 ? 0.35 : (i % 10 == 1 ? 0.15 : 0.0) }
        var rows: [(Int64, String)] = []
        for _ in 0..<trades {
            let w = Int(rng.next() % UInt64(wallets))
            let m = Int(rng.next() % UInt64(markets))
            let market = ms[m]
            let open = start.millis
            guard market.close - 3_600_000 > open else { continue }
            let time = open + Int64(rng.nextDouble() * Double(market.close - 3_600_000 - open))
            // Price: the hidden probability plus noise, on the 0.01 grid with float noise like the real API.
            let noisy = min(0.97, max(0.03, market.truth + (rng.nextDouble() - 0.5) * 0.3))
            let informed = rng.nextDouble() < edge[w]
            let pickYes = informed ? (market.winner ?? 0) == 0 : rng.nextDouble() < 0.5
            let outcome = pickYes ? 0 : 1
            let price = ((outcome == 0 ? noisy : 1 - noisy) * 100).rounded() / 100 + 1e-9 * rng.nextDouble()
            let size = (exp(3 + 2.5 * rng.nextDouble()) * 100).rounded() / 100
            let side = rng.nextDouble() < 0.9 ? "BUY" : "SELL"
            let tx = "0x" + hex(&rng, digits: 64)
            let row: [String: Any] = [
                "proxyWallet": walletIds[w], "side": side, "asset": market.tokens[outcome],
                "conditionId": market.id, "size": size, "price": price, "timestamp": time / 1000,
                "title": "Demo market", "outcome": outcome == 0 ? "Yes" : "No", "outcomeIndex": outcome,
                "transactionHash": tx,
            ]
            rows.append((time, String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)))
        }
        rows.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        // Whole seconds: rows are stamped in seconds, so order within one second is by text.
        rows = rows.map { ($0.0 / 1000 * 1000, $0.1) }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        marketLines.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        let tradesText = rows.map(\.1).joined(separator: "\n") + "\n{\"watermark\":\(end.millis)}\n"
        let marketsText = marketLines.map(\.1).joined(separator: "\n") + "\n{\"watermark\":\(end.millis)}\n"
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tradesURL = directory.appendingPathComponent("trades.ndjson")
        let marketsURL = directory.appendingPathComponent("markets.ndjson")
        try Data(tradesText.utf8).write(to: tradesURL)
        try Data(marketsText.utf8).write(to: marketsURL)
        return Files(trades: tradesURL.path, markets: marketsURL.path, end: end, tradeCount: rows.count)
    }

    private func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

private func hex(_ rng: inout SplitMix64, digits: Int) -> String {
    let alphabet = Array("0123456789abcdef")
    return String((0..<digits).map { _ in alphabet[Int(rng.next() & 15)] })
}

private func decimalToken(_ rng: inout SplitMix64) -> String {
    String(rng.next()) + String(rng.next() % 1_000_000_000_000)
}
