/// Risk alert level from the one-day modified VaR as a fraction of NAV.
public enum TailRiskAlert: String, Sendable, Hashable, CaseIterable {
    /// mVaR < 6 % of NAV.
    case green
    /// 6 % ≤ mVaR ≤ 8 % of NAV.
    case yellow
    /// mVaR > 8 % of NAV: halt new risk.
    case red

    /// Level for a VaR given as a positive loss fraction of NAV (0.07 = 7 %). NaN maps to red.
    public init(lossFraction: Double) {
        if lossFraction < 0.06 {
            self = .green
        } else if lossFraction <= 0.08 {
            self = .yellow
        } else {
            self = .red  // also NaN: an unknown risk halts
        }
    }

    /// True when trading must halt (red).
    public var halts: Bool { self == .red }
}

/// Value-at-Risk of a return series, always reported as a **positive loss fraction** (0.05 means a
/// 5 % loss), at tail probability α (0.01 for 99 % VaR, 0.05 for 95 %).
///
/// Moments are population (ddof 0) and skew/excess kurtosis are the moment ratios, exactly as in
/// PerformanceAnalytics `VaR.CornishFisher`. Seed deviation: the seed evaluated the expansion at
/// z = Φ⁻¹(1 − α) > 0 and returned −(μ + hσ), the *upper* quantile, a gain; here z = Φ⁻¹(α) < 0 and
/// VaR = −μ − h·σ, the loss.
public enum TailRisk {
    /// PerformanceAnalytics' moment guard: skew and kurtosis are taken as 0 when the population
    /// variance m2 ≤ √ε ≈ 1.49e-8 (R `all.equal(m2, 0)`), i.e. σ ≲ 1.2e-4.
    public static let momentGuardVariance: Double = Double.ulpOfOne.squareRoot()

    /// Cornish-Fisher (modified) VaR, equal to PerformanceAnalytics `VaR.CornishFisher(R, p = 1 − α)`:
    /// h = z + (z²−1)S/6 + (z³−3z)K/24 − (2z³−5z)S²/36 with z = Φ⁻¹(α), VaR = −μ − h·σ.
    ///
    /// The raw expansion is returned: it can be negative ("inverse risk") or above 1 when |S| or K are
    /// outside Cornish-Fisher's validity domain; `assess` handles those cases.
    /// - Parameter applyMomentGuard: apply PA's small-variance guard (default true).
    public static func modifiedVaR(_ returns: [Double], alpha: Double = 0.01, applyMomentGuard: Bool = true) -> Double {
        modifiedVaR(moments: CentralMoments(returns), alpha: alpha, applyMomentGuard: applyMomentGuard)
    }

    /// Cornish-Fisher VaR from precomputed moments (see `modifiedVaR(_:alpha:applyMomentGuard:)`).
    public static func modifiedVaR(moments m: CentralMoments, alpha: Double, applyMomentGuard: Bool = true) -> Double {
        guard m.count > 0 else { return .nan }
        let z = NormalDistribution.standardQuantile(alpha)
        let guarded = applyMomentGuard && m.m2 <= momentGuardVariance
        var s = 0.0
        var k = 0.0
        if !guarded {
            s = m.skewness(.population)
            k = m.excessKurtosis(.population)
        }
        let z2 = z * z
        let z3 = z2 * z
        let h = z + (z2 - 1) * s / 6 + (z3 - 3 * z) * k / 24 - (2 * z3 - 5 * z) * s * s / 36
        return -m.mean - h * m.m2.squareRoot()
    }

    /// Gaussian VaR −μ − Φ⁻¹(α)·σ with population σ (Cornish-Fisher with S = K = 0).
    public static func gaussianVaR(_ returns: [Double], alpha: Double = 0.01) -> Double {
        let m = CentralMoments(returns)
        guard m.count > 0 else { return .nan }
        return -m.mean - NormalDistribution.standardQuantile(alpha) * m.m2.squareRoot()
    }

    /// Historical VaR −Q_α(r), Q the empirical quantile with linear interpolation (R type 7, numpy default).
    public static func historicalVaR(_ returns: [Double], alpha: Double = 0.01) -> Double {
        -Statistics.quantile(returns, alpha)
    }

    /// What PerformanceAnalytics `VaR(R, p = 1 − α, method = "modified")` returns (invert = TRUE):
    /// −loss, NaN when the loss is negative ("inverse risk"), −1 when the loss exceeds 100 %.
    public static func performanceAnalyticsWrapper(lossFraction loss: Double) -> Double {
        if loss.isNaN || loss < 0 { return .nan }
        return loss > 1 ? -1 : -loss
    }

    /// All three VaR figures and the alert level for a return series (typically daily NAV returns).
    public static func assess(_ returns: [Double], alpha: Double = 0.01) -> TailRiskAssessment {
        let m = CentralMoments(returns)
        let modified = modifiedVaR(moments: m, alpha: alpha)
        let gaussian = m.count > 0 ? -m.mean - NormalDistribution.standardQuantile(alpha) * m.m2.squareRoot() : .nan
        let historical = historicalVaR(returns, alpha: alpha)
        let valid = modified >= 0 && modified <= 1
        // Outside Cornish-Fisher's domain, fall back to the larger of the other two estimates (capped at 100 %).
        let alertLoss = valid ? modified : min(1, max(gaussian, historical, modified.isNaN ? 0 : min(modified, 1)))
        return TailRiskAssessment(
            alpha: alpha, modifiedVaR: modified, gaussianVaR: gaussian, historicalVaR: historical,
            modifiedVaRIsValid: valid, alertLoss: alertLoss, alert: TailRiskAlert(lossFraction: alertLoss))
    }
}

/// VaR figures of one series and the resulting alert.
public struct TailRiskAssessment: Sendable, Hashable {
    /// Tail probability α (0.01 = 99 % VaR).
    public let alpha: Double
    /// Cornish-Fisher VaR (positive loss fraction; raw expansion).
    public let modifiedVaR: Double
    /// Gaussian VaR (positive loss fraction).
    public let gaussianVaR: Double
    /// Historical VaR (positive loss fraction).
    public let historicalVaR: Double
    /// False when the Cornish-Fisher value is negative, above 1 or NaN (expansion outside its domain).
    public let modifiedVaRIsValid: Bool
    /// Loss fraction the alert is based on: mVaR when valid, else max(Gaussian, historical, capped mVaR), ≤ 1.
    public let alertLoss: Double
    /// Green / yellow / red.
    public let alert: TailRiskAlert
}
