public import RemoraModel

/// The threshold search of `remora validate gate --tune`: a grid around the roadmap's stage-1 and
/// stage-2 thresholds, ranked on one world so that the chosen set can be measured on others.
public enum GateTuning {
    /// One set of thresholds and how the tables name it.
    public struct Candidate: Sendable {
        public var policy: GatePolicy
        public var label: String
    }

    /// The roadmap's own floor: at least this share of the negative-EV copies kept out.
    public static let keptOutFloor = 0.78
    /// A set that passes fewer trades than this says nothing about value (noise).
    public static let minimumPassed = 20

    public static let scores: [Double] = [10, 20, 40, 75]
    /// The whale's settled taker trades (`wqs.v4` counts no maker settlement).
    public static let settledTrades = [2, 5]
    public static let notionals: [USDC] = [100, 1_000, 5_000]
    public static let copyabilities: [Double] = [0.01, 0.03, 0.05]
    /// The roadmap's 1 % is left out to keep the grid at 576 sets (it was never chosen on the
    /// year-long worlds; the roadmap's own thresholds are measured beside the chosen set).
    public static let slippages: [Double] = [0.05, 0.25]

    /// Every combination of the whale gate's minimum WQS (quarantine's levels kept in the
    /// roadmap's proportion, 50 and 60 of 75) and settled trades, the rising-Sharpe check, the minimum notional,
    /// the reference order's maximum slippage, the minimum copyability and the probability
    /// estimate; the rest as in `base`.
    public static func grid(base: GatePolicy) -> [Candidate] {
        var all: [Candidate] = []
        for score in scores {
            for settled in settledTrades {
                for rising in [true, false] {
                    for notional in notionals {
                        for (slippage, copyability) in product(slippages, copyabilities) {
                            for method in [ProbabilityMethod.edge, .blend] {
                                var policy = base
                                policy.follow(fromScore: score)
                                policy.minimumSettledTrades = settled
                                policy.requireRisingSharpe = rising
                                policy.minimumNotional = notional
                                policy.maximumSlippage = slippage
                                policy.minimumCopyability = copyability
                                policy.probabilityMethod = method
                                let label = "WQS \(Int(score)), settled \(settled), rising \(rising ? "on" : "off"), notional \(notional.micros / 1_000_000), slippage \(slippage), copyability \(copyability), \(method == .edge ? "edge" : "blend")"
                                all.append(Candidate(policy: policy, label: label))
                            }
                        }
                    }
                }
            }
        }
        return all
    }

    private static func product<A, B>(_ a: [A], _ b: [B]) -> [(A, B)] { a.flatMap { x in b.map { (x, $0) } } }

    /// Whether a result meets the roadmap's kept-out floor with enough trades passed.
    public static func meetsFloor(_ figures: GateValidationReport.Figures) -> Bool {
        figures.keptOutShare >= keptOutFloor && figures.passed >= minimumPassed
    }

    /// The candidates that pass anything, best first: those meeting the floor before the rest;
    /// then the most net value passed — the sum over the copies of each one's value per dollar,
    /// what a book copying a dollar of each would earn, so that a bad copy let through costs what
    /// it loses (the positive value kept alone, the previous objective, ignored them and ended
    /// at the grid's most permissive corner) — the higher value per dollar, and the grid's order
    /// (so the ranking is the same on every run).
    public static func rank(
        _ results: [(candidate: Candidate, figures: GateValidationReport.Figures)]
    ) -> [(candidate: Candidate, figures: GateValidationReport.Figures)] {
        results.enumerated()
            .filter { $0.element.figures.passed > 0 }
            .sorted {
                let (a, b) = ($0.element.figures, $1.element.figures)
                return (meetsFloor(a) ? 1 : 0, a.passedValue, a.meanPassedValue, -$0.offset)
                    > (meetsFloor(b) ? 1 : 0, b.passedValue, b.meanPassedValue, -$1.offset)
            }
            .map(\.element)
    }
}
