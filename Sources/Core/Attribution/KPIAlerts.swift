public import RemoraModel

/// The roadmap's KPI thresholds, each a level: green (nil), warning or critical.
/// - mVaR (the book's 1-day 99 % Cornish-Fisher, fraction of NAV): critical above 10 %, warning 8–10 %;
/// - Sharpe (annualised, trailing, once there are `minimumDays` daily returns): critical below 0.5,
///   warning 0.5–1.0;
/// - signal pass rate (trailing): warning below 15 %;
/// - quarantined whales: critical when any.
public struct KPIThresholds: Sendable, Hashable {
    public var varCritical = 0.10
    public var varWarning = 0.08
    public var sharpeCritical = 0.5
    public var sharpeWarning = 1.0
    public var passRateWarning = 0.15
    /// Sharpe on fewer daily returns than this is noise: no level.
    public var minimumDays = 30
    public init() {}

    public func varLevel(_ mvar: Double?) -> AlertLevel? {
        guard let mvar else { return nil }
        return mvar > varCritical ? .critical : mvar >= varWarning ? .warning : nil
    }

    public func sharpeLevel(_ sharpe: Double?, days: Int) -> AlertLevel? {
        guard days >= minimumDays, let sharpe, sharpe.isFinite else { return nil }
        return sharpe < sharpeCritical ? .critical : sharpe < sharpeWarning ? .warning : nil
    }

    public func passRateLevel(_ rate: Double?) -> AlertLevel? {
        guard let rate else { return nil }
        return rate < passRateWarning ? .warning : nil
    }

    public func quarantineLevel(_ quarantined: Int) -> AlertLevel? { quarantined > 0 ? .critical : nil }
}

/// The KPIs as of one instant, with their levels.
public struct KPIs: Sendable, Hashable, Codable {
    public var at: EventTime
    public var mvar: Double?
    /// nil while undefined (no variation yet).
    public var sharpe: Double?
    public var sharpeDays: Int
    public var passRate: Double?
    public var quarantined: Int

    public init(at: EventTime, mvar: Double?, sharpe: Double?, sharpeDays: Int, passRate: Double?, quarantined: Int) {
        self.at = at
        self.mvar = mvar
        self.sharpe = sharpe.flatMap { $0.isFinite ? $0 : nil }
        self.sharpeDays = sharpeDays
        self.passRate = passRate
        self.quarantined = quarantined
    }

    public func levels(_ t: KPIThresholds) -> [String: AlertLevel] {
        var levels: [String: AlertLevel] = [:]
        levels["mvar"] = t.varLevel(mvar)
        levels["sharpe"] = t.sharpeLevel(sharpe, days: sharpeDays)
        levels["pass_rate"] = t.passRateLevel(passRate)
        levels["quarantined"] = t.quarantineLevel(quarantined)
        return levels
    }

    /// The alerts for KPIs whose level changed since `before` (a KPI back to green is an info
    /// alert): raised once per change, not at every evaluation.
    public func alerts(since before: [String: AlertLevel], thresholds t: KPIThresholds) -> [Alert] {
        let now = levels(t)
        return ["mvar", "sharpe", "pass_rate", "quarantined"].compactMap { name in
            guard now[name] != before[name] else { return nil }
            return Alert(level: now[name] ?? .info, source: "attributor", code: "kpi_\(name)", message: message(name, level: now[name]), at: at)
        }
    }

    func message(_ name: String, level: AlertLevel?) -> String {
        let state = level.map { "\($0.rawValue)" } ?? "back within limits"
        switch name {
        case "mvar": return "book mVaR \(percent(mvar ?? 0)) of NAV: \(state) (warning ≥ 8 %, critical > 10 %)"
        case "sharpe": return "Sharpe \(sharpe.map { fixed($0) } ?? "n/a") over \(sharpeDays) days: \(state) (warning < 1.0, critical < 0.5)"
        case "pass_rate": return "signal pass rate \(percent(passRate ?? 0)) over 30 days: \(state) (warning < 15 %)"
        default: return "\(quarantined) whale(s) quarantined: \(state)"
        }
    }

    func percent(_ x: Double) -> String { fixed(x * 100) + " %" }
    func fixed(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        let scaled = (x * 100).rounded() / 100
        return "\(scaled)"
    }
}
