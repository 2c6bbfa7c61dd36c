public import RemoraModel

/// The replay against the pipeline: each of a world's trades matched with the pipeline's stored
/// verdict on the same fill, and the verdicts compared. The backtest's first promise is that it
/// decides as the services do; this is how that is checked.
public struct GateParityReport: Sendable {
    /// One disagreement: the same fill, two verdicts.
    public struct Difference: Sendable {
        public var replay: Signal
        public var pipeline: Signal
    }

    /// Fills found on both sides.
    public var matched = 0
    /// Of them, the same verdict (accepted, stage and reason).
    public var agreeing = 0
    /// "replay verdict → pipeline verdict" → fills.
    public var confusion: [String: Int] = [:]
    /// Fills only one side has.
    public var replayOnly = 0
    public var pipelineOnly = 0
    /// The first disagreements in event time.
    public var examples: [Difference] = []
    /// Verdict → fills, on each side (over matched fills).
    public var replayReasons: [String: Int] = [:]
    public var pipelineReasons: [String: Int] = [:]

    public var share: Double { matched == 0 ? 0 : Double(agreeing) / Double(matched) }
}

public enum GateParity {
    /// "stage/reason", or "exit" / "passed" for accepted signals.
    public static func verdict(_ signal: Signal) -> String {
        signal.accepted ? (signal.exit != nil ? "exit" : "passed") : "\(signal.stage.rawValue)/\(signal.reason)"
    }

    /// A fill's identity on both sides: who, which token, which way, how much, at what price and
    /// when (the fetcher's trade ids are not the world's), numbered when the same fill is listed
    /// twice.
    struct FillKey: Hashable {
        var wallet: WalletAddress
        var asset: TokenID
        var side: Side
        var size: Int64
        var price: Int64
        var time: Int64
        var ordinal: Int
    }

    static func keyed(_ signals: [Signal]) -> [FillKey: Signal] {
        var seen: [FillKey: Int] = [:]
        var keyed: [FillKey: Signal] = [:]
        for signal in signals.sorted(by: { ($0.tradeTime, $0.tradeId) < ($1.tradeTime, $1.tradeId) }) {
            var key = FillKey(
                wallet: signal.wallet, asset: signal.asset, side: signal.side, size: signal.size.micros, price: signal.price.micros,
                time: signal.tradeTime.millis, ordinal: 0)
            key.ordinal = seen[key, default: 0]
            seen[key] = key.ordinal + 1
            keyed[key] = signal
        }
        return keyed
    }

    public static func compare(replay: [Signal], pipeline: [Signal], examples: Int = 10) -> GateParityReport {
        let ours = keyed(replay)
        let theirs = keyed(pipeline)
        var report = GateParityReport()
        var differences: [GateParityReport.Difference] = []
        for (key, signal) in ours {
            guard let other = theirs[key] else {
                report.replayOnly += 1
                continue
            }
            report.matched += 1
            let (a, b) = (verdict(signal), verdict(other))
            report.replayReasons[a, default: 0] += 1
            report.pipelineReasons[b, default: 0] += 1
            if a == b {
                report.agreeing += 1
            } else {
                report.confusion["\(a) → \(b)", default: 0] += 1
                differences.append(.init(replay: signal, pipeline: other))
            }
        }
        report.pipelineOnly = theirs.keys.filter { ours[$0] == nil }.count
        report.examples = Array(differences.sorted { ($0.replay.tradeTime, $0.replay.tradeId) < ($1.replay.tradeTime, $1.replay.tradeId) }.prefix(examples))
        return report
    }
}
