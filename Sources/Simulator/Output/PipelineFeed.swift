public import Foundation
public import RemoraModel

/// The world as the pipeline's file sources read it, until the HTTP clients land: the Data API
/// rows followed by a watermark, and a market feed of metadata, resolutions and a watermark.
public enum PipelineFeed {
    public struct Files: Sendable {
        public var trades: String
        public var markets: String
        /// The world's last instant: every watermark reaches it once the pipeline has drained.
        public var end: EventTime
        public var tradeCount: Int
    }

    /// Writes `trades.ndjson` and `markets.ndjson` into `directory`.
    public static func write(_ world: SimulatedWorld, to directory: URL) throws -> Files {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let end = EventTime(seconds: world.endTime)
        let tradesURL = directory.appendingPathComponent("trades.ndjson")
        let marketsURL = directory.appendingPathComponent("markets.ndjson")
        try WorldWriter.writeTrades(world, to: tradesURL, watermark: end.millis, roles: true)
        try Data(marketFeed(world).utf8).write(to: marketsURL)
        return Files(trades: tradesURL.path, markets: marketsURL.path, end: end, tradeCount: world.trades.count)
    }

    /// Metadata one millisecond before a market opens, its resolution when the oracle settles
    /// (within the world), then the watermark; in time order.
    static func marketFeed(_ world: SimulatedWorld) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var lines: [(Int64, String)] = []
        for m in world.markets {
            let t = m.truth
            guard let condition = ConditionID(t.conditionId) else { continue }
            let market = Market(
                conditionId: condition, question: m.question, category: t.category, outcomes: ["Yes", "No"],
                tokenIds: t.tokenIds, endDate: EventTime(seconds: m.endDate),
                tickSize: Price(micros: Int64((t.tick * 1e6).rounded())),
                takerFeePpm: Int64((t.takerFeeRate * 1e6).rounded()), negRiskEvent: m.negRisk ? m.event.negRiskMarketId : nil)
            let row = String(decoding: try encoder.encode(["market": market]), as: UTF8.self)
            lines.append((t.startTime * 1000 - 1, row))
            guard t.resolvedAt <= world.endTime else { continue }
            let winner: String =
                switch t.outcome {
                case .yes: "0"
                case .no: "1"
                case .void: "null"
                }
            lines.append((
                t.resolvedAt * 1000,
                "{\"resolution\":{\"conditionId\":\"\(t.conditionId)\",\"winner\":\(winner),\"resolvedAt\":\(t.resolvedAt * 1000)}}"
            ))
        }
        lines.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return lines.map(\.1).joined(separator: "\n") + "\n{\"watermark\":\(world.endTime * 1000)}\n"
    }
}
