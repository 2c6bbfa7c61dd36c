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

    public static let scores: [Double] = [20, 40, 60, 75]
    public static let notionals: [USDC] = [100, 1_000, 5_000]
    public static let copyabilities: [Double] = [0.01, 0.03, 0.05]
    public static let slippages: [Double] = [0.01, 0.05, 0.25]

    /// Every combination of the whale gate's minimum WQS (quarantine's levels kept in the
    /// roadmap's proportion, 50 and 60 of 75), the rising-Sharpe check, the minimum notional,
    /// the reference order's maximum slippage, the minimum copyability and the probability
    /// estimate; the rest as in `base`.
    public static func grid(base: GatePolicy) -> [Candidate] {
        var all: [Candidate] = []
        for score in scores {
            for rising in [true, false] {
                for notional in notionals {
                    for slippage in slippages {
                        for copyability in copyabilities {
                            for method in [ProbabilityMethod.edge, .blend] {
                                var policy = base
                                policy.follow(fromScore: score)
                                policy.requireRisingSharpe = rising
                                policy.minimumNotional = notional
                                policy.maximumSlippage = slippage
                                policy.minimumCopyability = copyability
                                policy.probabilityMethod = method
                                let label = "WQS \(Int(score)), rising \(rising ? "on" : "off"), notional \(notional.micros / 1_000_000), slippage \(slippage), copyability \(copyability), \(method == .edge ? "edge" : "blend")"
                                all.append(Candidate(policy: policy, label: label))
                            }
                        }
                    }
                }
            }
        }
        return all
    }

    /// Whether a result meets the roadmap's kept-out floor with enough trades passed.
    public static func meetsFloor(_ figures: GateValidationReport.Figures) -> Bool {
        figures.keptOutShare >= keptOutFloor && figures.passed >= minimumPassed
    }

    /// The candidates that pass anything, best first: those meeting the floor before the rest;
    /// then the most positive-EV value kept, the higher value per dollar of what passed, and the
    /// grid's order (so the ranking is the same on every run).
    public static func rank(
        _ results: [(candidate: Candidate, figures: GateValidationReport.Figures)]
    ) -> [(candidate: Candidate, figures: GateValidationReport.Figures)] {
        results.enumerated()
            .filter { $0.element.figures.passed > 0 }
            .sorted {
                let (a, b) = ($0.element.figures, $1.element.figures)
                return (meetsFloor(a) ? 1 : 0, a.valueKeptShare, a.meanPassedValue, -$0.offset)
                    > (meetsFloor(b) ? 1 : 0, b.valueKeptShare, b.meanPassedValue, -$1.offset)
            }
            .map(\.element)
    }
}
