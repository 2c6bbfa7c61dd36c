import Foundation
public import RemoraModel
public import RemoraQuant

/// Daily attribution linked over a period (Carino 1999), and the performance figures of our
/// book against the copy-all benchmark.
public struct AttributionReport: Sendable {
    public let days: [AttributionDay]
    /// Compounded returns over the period.
    public let ourReturn: Double
    public let benchmarkReturn: Double
    public let rejectedReturn: Double
    /// Linked effects per category; their sum is `ourReturn − benchmarkReturn` exactly (up to
    /// floating-point rounding).
    public let linked: [String: AttributionDay.Effects]
    public let ours: PerformanceSummary
    public let benchmark: PerformanceSummary
    /// Active return per calendar month (ours compounded − benchmark compounded), "yyyy-mm".
    public let monthlyAlpha: [(month: String, alpha: Double)]

    public var excessReturn: Double { ourReturn - benchmarkReturn }
    /// Summed in the categories' order: a dictionary's order changes from process to process,
    /// and so would the last digit of a sum taken in it (two runs of one demo printed
    /// allocation −4.75 % and −4.74 %).
    public var linkedTotals: AttributionDay.Effects {
        linked.sorted { $0.key < $1.key }.map(\.value).reduce(AttributionDay.Effects(allocation: 0, selection: 0, interaction: 0)) {
            .init(allocation: $0.allocation + $1.allocation, selection: $0.selection + $1.selection,
                  interaction: $0.interaction + $1.interaction)
        }
    }
    /// The linked selection effect as a share of the excess return (the roadmap's target: over
    /// 70 %); nil when there is no excess to share.
    public var selectionShare: Double? {
        let excess = excessReturn
        guard abs(excess) > 1e-12 else { return nil }
        return linkedTotals.selection / excess
    }

    public init(days: [AttributionDay]) {
        let days = days.sorted { $0.day < $1.day }
        self.days = days
        func compound(_ returns: [Double]) -> Double { returns.reduce(1) { $0 * (1 + $1) } - 1 }
        let r = days.map(\.ours.dailyReturn)
        let b = days.map(\.benchmark.dailyReturn)
        ourReturn = compound(r)
        benchmarkReturn = compound(b)
        rejectedReturn = compound(days.map(\.rejected.dailyReturn))
        // Carino: each day's effects scaled by k_t / k, k_t = (ln(1+R_t) − ln(1+B_t)) / (R_t − B_t)
        // (1 / (1+R_t) when equal), k the same over the period: the scaled effects add up to
        // the compounded excess return.
        func carino(_ p: Double, _ q: Double) -> Double {
            abs(p - q) < 1e-14 ? 1 / (1 + p) : (log1p(p) - log1p(q)) / (p - q)
        }
        let k = carino(ourReturn, benchmarkReturn)
        var linked: [String: AttributionDay.Effects] = [:]
        for (index, day) in days.enumerated() {
            let scale = carino(r[index], b[index]) / k
            for (name, e) in day.effects {
                var total = linked[name] ?? .init(allocation: 0, selection: 0, interaction: 0)
                total.allocation += e.allocation * scale
                total.selection += e.selection * scale
                total.interaction += e.interaction * scale
                linked[name] = total
            }
        }
        self.linked = linked
        ours = PerformanceSummary(returns: r, benchmark: b)
        benchmark = PerformanceSummary(returns: b)
        var months: [(String, Double, Double)] = []
        for (index, day) in days.enumerated() {
            let date = civilFromDays(Int(day.day))
            let name = String(format: "%04d-%02d", date.year, date.month)
            if months.last?.0 != name { months.append((name, 1, 1)) }
            months[months.count - 1].1 *= 1 + r[index]
            months[months.count - 1].2 *= 1 + b[index]
        }
        monthlyAlpha = months.map { ($0.0, $0.1 - $0.2) }
    }
}
