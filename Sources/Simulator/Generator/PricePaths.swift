import Foundation

/// A window in which an adversarial wallet pushes a market's price up, then dumps.
struct PumpWindow: Sendable {
    var wallet: Int
    var market: Int
    var from: Int64
    var to: Int64
    /// Peak push in log-odds.
    var push: Double
}

/// Price paths. The true probability of "Yes" is the posterior of an observer who watches a
/// signal whose drift depends on the outcome: in log-odds, `dx = μ dW ± μ²/2 dt` (+ when the
/// outcome is Yes) plus news jumps whose size is a log-likelihood ratio (the news is drawn
/// given the outcome, so ±0.5 + N(0, 1) is exactly the update a Bayesian makes). That makes it a
/// martingale (the probability is honest at every moment) that converges to the outcome by the
/// close. The market's midpoint lags the truth by a few nodes and carries a mean-reverting
/// mispricing, wider in thin markets, plus any adversarial pump: the gap between the two is the
/// edge an informed wallet can take.
enum PricePaths {
    /// Node spacing: about 400 nodes a market, between 10 minutes and 1 hour (fine enough to
    /// carry a pump of a few hours).
    static func step(lifetime: Int64) -> Int64 {
        let raw = min(3_600, max(600, lifetime / 400))
        return raw / 60 * 60
    }

    /// How much the market's log-odds shrink the truth's toward even.
    static let longshotShrink = 0.97

    static func build(
        draft: MarketDraft, index: Int, seed: UInt64, pumps: [PumpWindow]
    ) -> (history: PriceHistoryLine, truth: [Double]) {
        var rng = SplitMix64(seed: seed, stream: 2, index: index)
        let market = draft.truth
        let lifetime = max(3_600, market.closedTime - market.startTime)
        let step = step(lifetime: lifetime)
        let nodes = Int(lifetime / step) + 1
        let dt = Double(step)
        // Information arrives faster as the close nears: μ(t)² ∝ (t/T)², integrating to
        // `information` over the market's life, so prices sit near their prior for most of it
        // and converge at the end.
        let information = 6.0
        let sign = draft.latentYes ? 1.0 : -1.0
        let jumpChance = 2 * dt / Double(lifetime)
        let p0 = min(0.98, max(0.02, market.initialProbability))
        var x = log(p0 / (1 - p0))
        var logOdds = [Double](repeating: 0, count: nodes)
        for k in 0..<nodes {
            logOdds[k] = x
            let t0 = Double(k) * dt / Double(lifetime)
            let t1 = min(1, Double(k + 1) * dt / Double(lifetime))
            let variance = information * (t1 * t1 * t1 - t0 * t0 * t0)
            x += variance.squareRoot() * rng.nextGaussian() + sign * variance / 2
            if rng.chance(jumpChance) {
                // News: an observation N(±0.5, 1); its log-likelihood ratio is the observation.
                x += sign * 0.5 + rng.nextGaussian()
            }
            x = min(9, max(-9, x))
        }
        let truth = logOdds.map { 1 / (1 + exp(-$0)) }

        // Observable midpoint: lagged truth, its log-odds shrunk toward even (the longshot bias:
        // a 4 % truth trades near 4.4 %, a 96 % one near 95.6 %), + AR(1) mispricing (1-day
        // memory) + pumps, which collapse when the pumper dumps.
        let rho = exp(-dt / 86_400)
        let shock = draft.mispricing * (1 - rho * rho).squareRoot()
        var error = draft.mispricing * rng.nextGaussian()
        var mids = [Double](repeating: 0, count: nodes)
        let tick = market.tick
        for k in 0..<nodes {
            let time = market.startTime + Int64(k) * step
            var push = 0.0
            for pump in pumps where time >= pump.from && time < pump.to {
                push += pump.push * Double(time - pump.from) / Double(max(1, pump.to - pump.from))
            }
            let lagged = longshotShrink * logOdds[max(0, k - draft.lagNodes)]
            let p = 1 / (1 + exp(-(lagged + error + push)))
            // Four decimals (the file's precision), inside one tick of the edges.
            mids[k] = roundTo(min(1 - tick, max(tick, p)), places: 4)
            error = rho * error + shock * rng.nextGaussian()
        }
        let history = PriceHistoryLine(
            conditionId: market.conditionId, token: market.tokenIds[0], start: market.startTime, step: step, p: mids)
        return (history, truth)
    }
}
