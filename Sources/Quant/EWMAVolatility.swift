internal import Foundation

/// RiskMetrics (J.P. Morgan 1996, ch. 5) exponentially weighted volatility of **returns**:
/// σ²ₜ = λ·σ²ₜ₋₁ + (1 − λ)·r²ₜ₋₁, mean assumed 0, λ = 0.94 for daily data.
///
/// Seed deviation: the seed snippet fed squared *price levels* into this recursion, which tracks
/// E[P²] (≈ 0.6 for prices near 0.5), a price level, not a volatility. Here the recursion runs on
/// log returns rₜ = ln(Pₜ/Pₜ₋₁) (`logReturns(prices:)`), as RiskMetrics specifies.
public struct EWMAVolatility: Sendable, Hashable {
    /// How σ²₀ is seeded; implementations differ, so it is explicit.
    public enum Initialization: Sendable, Hashable {
        /// σ²₀ = r₀².
        case firstSquaredReturn
        /// σ²₀ = mean of all r² (needs the whole sample).
        case meanSquaredReturn
        /// arch's backcast: Σ_{i<τ} 0.94ⁱ rᵢ² / Σ_{i<τ} 0.94ⁱ with τ = min(75, n).
        case archBackcast
    }

    /// Decay factor λ (0.94 daily, 0.97 monthly).
    public let lambda: Double
    /// Seeding rule for σ²₀.
    public let initialization: Initialization

    /// RiskMetrics EWMA with decay `lambda` (default 0.94) and seeding rule (default arch backcast).
    public init(lambda: Double = 0.94, initialization: Initialization = .archBackcast) {
        self.lambda = lambda
        self.initialization = initialization
    }

    /// Variance path with n + 1 entries: index 0 is σ²₀, index t is the forecast after seeing
    /// r₀…rₜ₋₁; the last entry is the one-step-ahead forecast. Empty for empty input.
    public func variancePath(returns r: [Double]) -> [Double] {
        guard !r.isEmpty else { return [] }
        var path = [Double]()
        path.reserveCapacity(r.count + 1)
        var s = initialVariance(r)
        path.append(s)
        let oneMinus = 1 - lambda
        for x in r {
            s = lambda * s + oneMinus * x * x
            path.append(s)
        }
        return path
    }

    /// One-step-ahead volatility forecast √σ²ₙ, per period (NaN for empty input).
    public func forecastVolatility(returns: [Double]) -> Double {
        variancePath(returns: returns).last.map { $0.squareRoot() } ?? .nan
    }

    /// σ²₀ under the chosen initialization.
    public func initialVariance(_ r: [Double]) -> Double {
        switch initialization {
        case .firstSquaredReturn:
            return r[0] * r[0]
        case .meanSquaredReturn:
            var acc = CompensatedSum()
            for x in r { acc.add(x * x) }
            return acc.value / Double(r.count)
        case .archBackcast:
            let tau = min(75, r.count)
            var num = CompensatedSum()
            var den = CompensatedSum()
            var w = 1.0
            for i in 0..<tau {
                num.add(w * r[i] * r[i])
                den.add(w)
                w *= 0.94
            }
            return num.value / den.value
        }
    }

    /// Log returns ln(Pₜ/Pₜ₋₁) of a price path. Prices are first clipped to [floor, 1 − floor]
    /// (default 0.001) so outcome-token prices near 0 or 1 cannot produce infinite returns.
    public static func logReturns(prices: [Double], floor: Double = 0.001) -> [Double] {
        guard prices.count >= 2 else { return [] }
        let clipped = prices.map { min(max($0, floor), 1 - floor) }
        return (1..<clipped.count).map { log(clipped[$0] / clipped[$0 - 1]) }
    }
}
