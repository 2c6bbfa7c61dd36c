import RemoraModel
import RemoraQuant

/// The gate against a world's truth (`remora validate gate`): each trade labelled by the expected
/// value per dollar of copying it at the copy instant as a taker, after the fee (the simulator's
/// `copyValues`). A rule is judged by the share of negative-EV copies it keeps out, the share of
/// positive-EV value it keeps (Σ value per dollar over the positive copies passed ÷ over all —
/// each copy an equal stake), and how many trades it passes; with 95 % bootstrap intervals.
public struct GateValidationReport: Sendable {
    public struct Figures: Sendable {
        public var trades = 0
        public var passed = 0
        public var negative = 0
        public var negativeKeptOut = 0
        public var positiveValue = 0.0
        public var positiveValueKept = 0.0
        public var passThrough: Double { trades == 0 ? 0 : Double(passed) / Double(trades) }
        public var keptOutShare: Double { negative == 0 ? 0 : Double(negativeKeptOut) / Double(negative) }
        public var valueKeptShare: Double { positiveValue == 0 ? 0 : positiveValueKept / positiveValue }
        /// Mean value per dollar of what passed (what a copy of each would have earned).
        public var passedValue = 0.0
        public var meanPassedValue: Double { passed == 0 ? 0 : passedValue / Double(passed) }
        public init() {}
    }

    public var name: String
    public var all: Figures
    /// Over the trades of whales that passed the whale gate (the trade gate's own pass-through).
    public var qualifiedWhales: Figures
    /// Over the trades the gate could copy as entries at all — the whales' taker buys — so that
    /// what is kept out and kept is measured on the gate's real choices, not on sales and maker
    /// fills that no rule copies.
    public var copyable: Figures
    public var keptOutInterval: ClosedRange<Double>
    public var valueKeptInterval: ClosedRange<Double>
    public var passThroughInterval: ClosedRange<Double>
    /// The intervals of ``copyable``'s shares, resampled over those trades.
    public var copyableKeptOutInterval: ClosedRange<Double>
    public var copyableValueKeptInterval: ClosedRange<Double>
    /// "stage/reason" → trades, and the positive-EV value each rejected.
    public var reasons: [String: (trades: Int, positiveValue: Double)]
}

public enum GateValidation {
    /// `passed[i]` and `stage[i]` for trade i with truth value `value[i]` (per dollar, after fee).
    public static func report(
        name: String, passed: [Bool], reasons: [String], whaleQualified: [Bool], copyable: [Bool]? = nil, value: [Double],
        resamples: Int = 1000, seed: UInt64 = 1
    ) -> GateValidationReport {
        func figures(_ indices: some Sequence<Int>) -> GateValidationReport.Figures {
            var f = GateValidationReport.Figures()
            for i in indices {
                f.trades += 1
                if passed[i] {
                    f.passed += 1
                    f.passedValue += value[i]
                }
                if value[i] <= 0 {
                    f.negative += 1
                    if !passed[i] { f.negativeKeptOut += 1 }
                } else {
                    f.positiveValue += value[i]
                    if passed[i] { f.positiveValueKept += value[i] }
                }
            }
            return f
        }
        let all = figures(value.indices)
        let qualified = figures(value.indices.filter { whaleQualified[$0] })
        let candidates = copyable.map { flags in figures(value.indices.filter { flags[$0] }) } ?? all
        var byReason: [String: (trades: Int, positiveValue: Double)] = [:]
        for i in value.indices where !passed[i] {
            byReason[reasons[i], default: (0, 0)].trades += 1
            if value[i] > 0 { byReason[reasons[i], default: (0, 0)].positiveValue += value[i] }
        }
        // Bootstrap over trades: resample with replacement, the 2.5th and 97.5th percentiles.
        var random = SplitMixRandom(seed: seed)
        func resampled(_ universe: [Int]) -> [GateValidationReport.Figures] {
            guard !universe.isEmpty else { return [] }
            return (0..<resamples).map { _ in figures((0..<universe.count).map { _ in universe[Int(random.next() % UInt64(universe.count))] }) }
        }
        let overAll = resampled(Array(value.indices))
        let overCopyable = copyable.map { flags in resampled(value.indices.filter { flags[$0] }) } ?? overAll
        func interval(_ xs: [Double]) -> ClosedRange<Double> {
            guard !xs.isEmpty else { return 0...0 }
            let sorted = xs.sorted()
            let low = sorted[Int(Double(sorted.count - 1) * 0.025)]
            let high = sorted[Int((Double(sorted.count - 1) * 0.975).rounded(.up))]
            return low...high
        }
        return GateValidationReport(
            name: name, all: all, qualifiedWhales: qualified, copyable: candidates, keptOutInterval: interval(overAll.map(\.keptOutShare)),
            valueKeptInterval: interval(overAll.map(\.valueKeptShare)), passThroughInterval: interval(overAll.map(\.passThrough)),
            copyableKeptOutInterval: interval(overCopyable.map(\.keptOutShare)),
            copyableValueKeptInterval: interval(overCopyable.map(\.valueKeptShare)), reasons: byReason)
    }
}

/// SplitMix64: a small seeded generator, so a report's intervals are the same on every run.
struct SplitMixRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
