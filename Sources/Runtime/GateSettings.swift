public import RemoraCore
import RemoraModel
import RemoraStore

/// The gate's thresholds as settings: the roadmap's values by default (docs/strategy.md). The
/// signal gate reads them, and so does `remora quarantine` (the same rules, the same values).
public enum GateSettings {
    public static let settings: [Setting] = [
        Setting("REMORA_GATE_MIN_SCORE", default: "75", "whale: minimum WQS as of the trade (0-100)", kind: .number(0...100)),
        Setting("REMORA_GATE_MIN_SETTLED", default: "5", "whale: minimum settled trades behind the score", kind: .integer(0...1_000_000)),
        Setting("REMORA_GATE_RISING_SHARPE", default: "on", "whale: the 30-day Sharpe must exceed the 90-day one", kind: .choice(["on", "off"])),
        Setting("REMORA_GATE_MAX_WHALE_DRAWDOWN", default: "0.25", "whale: its current drawdown must be below this fraction", kind: .number(0...1)),
        Setting("REMORA_GATE_CONVERSIONS", default: "follow", "exits: a whale's negative-risk conversion of a copied \"No\" is followed out like a sale (follow), or held, its exposure to the event being unchanged (hold)", kind: .choice(["follow", "hold"])),
        Setting("REMORA_GATE_WIN_RATE_ABOVE_BASE", default: "off", "whale: the win rate's 95 % lower bound must exceed its category's base rate (beyond the roadmap)", kind: .choice(["on", "off"])),
        Setting("REMORA_QUARANTINE", default: "on", "whale: quarantine followed whales whose score or drawdown turns (docs/strategy.md)", kind: .choice(["on", "off"])),
        Setting("REMORA_QUARANTINE_BELOW_SCORE", default: "50", "quarantine a followed whale when its WQS falls below this", kind: .number(0...100)),
        Setting("REMORA_QUARANTINE_ABOVE_DRAWDOWN", default: "0.10", "quarantine a followed whale when its drawdown exceeds this fraction", kind: .number(0...1)),
        Setting("REMORA_QUARANTINE_SCORE_DROP", default: "25", "quarantine a followed whale whose WQS fell more than this many points within REMORA_QUARANTINE_DROP_DAYS", kind: .number(0...100)),
        Setting("REMORA_QUARANTINE_DROP_DAYS", default: "7", "the window of the score-drop trigger, days", kind: .integer(1...365)),
        Setting("REMORA_QUARANTINE_RELEASE_SCORE", default: "60", "release needs a WQS above this (and no trigger holding)", kind: .number(0...100)),
        Setting("REMORA_QUARANTINE_QUIET_DAYS", default: "7", "release needs this many days without a losing day, and in quarantine", kind: .integer(0...365)),
        Setting("REMORA_QUARANTINE_APPROVAL", default: "by-mode", "who approves a release: operator (remora quarantine release), auto, or by-mode (auto in strict event time, operator live)", kind: .choice(["operator", "auto", "by-mode"])),
        Setting("REMORA_GATE_MIN_NOTIONAL", default: "5000", "trade: minimum notional of the whale's fill, USDC", kind: .usdc),
        Setting("REMORA_GATE_MAX_SIGNAL_AGE_S", default: "300", "trade, live mode: a fill detected later than this after it happened is never copied", kind: .integer(1...86_400)),
        Setting("REMORA_GATE_COPY_MAKER_FILLS", default: "off", "trade: copy the whale's maker fills too (its resting orders someone took)", kind: .choice(["on", "off"])),
        Setting("REMORA_GATE_REFERENCE_NOTIONAL", default: "1000", "trade: the order whose walk of the book at the copy instant measures slippage, USDC (1 % of the default NAV)", kind: .usdc),
        Setting("REMORA_GATE_MAX_SLIPPAGE", default: "0.01", "trade: the reference order's slippage over the midpoint must be below this fraction", kind: .number(0...1)),
        Setting("REMORA_GATE_MAX_DAYS_TO_END", default: "90", "trade: days from the copy instant to the market's end, at most", kind: .number(0...3650)),
        Setting("REMORA_GATE_MIN_COPYABILITY", default: "0.03", "trade: the edge left after lag, slippage and fee must reach this (probability units)", kind: .number(-1...1)),
        Setting("REMORA_GATE_PROBABILITY", default: "edge", "how the outcome's probability is estimated: edge (price + shrunk whale edge) or blend (0.7 win rate + 0.3 market)", kind: .choice(ProbabilityMethod.allCases.map(\.rawValue))),
        Setting("REMORA_GATE_EDGE_PRIOR_SD", default: "0.05", "deviation of the prior on a whale's true edge per share (shrinkage toward zero)", kind: .number(0.0001...1)),
        Setting("REMORA_GATE_VOLATILITY_DAYS", default: "30", "days of daily prices behind the EWMA volatility", kind: .integer(2...365)),
    ]

    public static func policy(_ s: Settings, mode: EventTimeMode) throws -> GatePolicy {
        func usdc(_ name: String) throws -> USDC {
            guard let amount = USDC(decimal: try s.string(name)) else {
                throw ConfigurationError.malformed(name, "expected a USDC amount like 5000 or 25.5")
            }
            return amount
        }
        func on(_ name: String) throws -> Bool { try s.string(name) == "on" }
        func approval(_ s: Settings, mode: EventTimeMode) throws -> QuarantinePolicy.Approval {
            switch try s.string("REMORA_QUARANTINE_APPROVAL") {
            case "operator": .operator
            case "auto": .auto
            default: mode == .strict ? .auto : .operator
            }
        }
        var policy = GatePolicy(
            minimumScore: try s.double("REMORA_GATE_MIN_SCORE", in: 0...100),
            minimumSettledTrades: try s.int("REMORA_GATE_MIN_SETTLED", in: 0...1_000_000),
            requireRisingSharpe: try on("REMORA_GATE_RISING_SHARPE"),
            maximumWhaleDrawdown: try s.double("REMORA_GATE_MAX_WHALE_DRAWDOWN", in: 0...1),
            requireWinRateAboveBase: try on("REMORA_GATE_WIN_RATE_ABOVE_BASE"),
            quarantineEnabled: try on("REMORA_QUARANTINE"),
            quarantine: QuarantinePolicy(
                enterBelowScore: try s.double("REMORA_QUARANTINE_BELOW_SCORE", in: 0...100),
                enterAboveDrawdown: try s.double("REMORA_QUARANTINE_ABOVE_DRAWDOWN", in: 0...1),
                enterScoreDrop: try s.double("REMORA_QUARANTINE_SCORE_DROP", in: 0...100),
                dropWindowMillis: Int64(try s.int("REMORA_QUARANTINE_DROP_DAYS", in: 1...365)) * EventTime.day,
                releaseAboveScore: try s.double("REMORA_QUARANTINE_RELEASE_SCORE", in: 0...100),
                quietMillis: Int64(try s.int("REMORA_QUARANTINE_QUIET_DAYS", in: 0...365)) * EventTime.day,
                approval: try approval(s, mode: mode)),
            minimumNotional: try usdc("REMORA_GATE_MIN_NOTIONAL"),
            maximumSignalAgeMillis: Int64(try s.int("REMORA_GATE_MAX_SIGNAL_AGE_S", in: 1...86_400)) * 1000,
            copyMakerFills: try on("REMORA_GATE_COPY_MAKER_FILLS"),
            referenceNotional: try usdc("REMORA_GATE_REFERENCE_NOTIONAL"),
            maximumSlippage: try s.double("REMORA_GATE_MAX_SLIPPAGE", in: 0...1),
            maximumDaysToEnd: try s.double("REMORA_GATE_MAX_DAYS_TO_END", in: 0...3650),
            minimumCopyability: try s.double("REMORA_GATE_MIN_COPYABILITY", in: -1...1),
            probabilityMethod: ProbabilityMethod(rawValue: try s.string("REMORA_GATE_PROBABILITY")) ?? .edge,
            edgePriorDeviation: try s.double("REMORA_GATE_EDGE_PRIOR_SD", in: 0.0001...1),
            volatilityDays: try s.int("REMORA_GATE_VOLATILITY_DAYS", in: 2...365))
        policy.followConversions = try s.string("REMORA_GATE_CONVERSIONS") == "follow"
        return policy
    }
}
