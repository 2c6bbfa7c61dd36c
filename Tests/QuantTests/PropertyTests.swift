import Foundation
import PropertyBased
import RemoraQuant
import Testing

@Suite("Properties (swift-property-based)")
struct PropertyTests {
    @Test("normal: cdf(quantile(q)) = q over 1e-300…1 − 1e-16, both tails")
    func normalRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.double(in: -300 ... -1e-9), Gen.bool) { exponent, upper in
            // Tail probability, log-uniform; the upper side stops at 1e-15 (1 − q must stay below 1).
            let tail = upper ? max(pow(10, exponent), 1e-15) : pow(10, exponent)
            let q = upper ? 1 - tail : tail
            let x = NormalDistribution.standardQuantile(q)
            let back = upper ? NormalDistribution.standard.survival(x) : NormalDistribution.standard.cdf(x)
            let target = upper ? 1 - q : q  // the exact tail of the double q
            let tolerance = 1e-14 * (1 + x * x)
            #expect(abs(back - target) <= tolerance * target, "q=\(q) x=\(x) back=\(back)")
        }
    }

    @Test("normal: quantile is monotone and odd")
    func normalMonotone() async {
        await propertyCheck(count: 500, input: Gen.double(in: 1e-12 ... 0.999999), Gen.double(in: 0 ... 1e-3)) { q, step in
            let q2 = min(q + step, 1 - 1e-12)
            #expect(NormalDistribution.standardQuantile(q) <= NormalDistribution.standardQuantile(q2), "q=\(q) q2=\(q2)")
            if q <= 0.5 {
                // 1 − q is exact for q ≥ ½, so test oddness from the upper side.
                let upper = 1 - q
                #expect(abs(NormalDistribution.standardQuantile(upper) + NormalDistribution.standardQuantile(1 - upper)) <= 1e-15 * max(1, abs(NormalDistribution.standardQuantile(upper))))
            }
        }
    }

    @Test("beta: quantile(q) is the root of cdf(x) = q to one ulp, alpha and beta in 0.5…3000")
    func betaRoundTrip() async {
        await propertyCheck(count: 300, input: Gen.double(in: -0.301 ... 3.477), Gen.double(in: -0.301 ... 3.477),
                            Gen.double(in: 0.0005 ... 0.9995)) { la, lb, q in
            let d = BetaDistribution(alpha: pow(10, la), beta: pow(10, lb))
            let x = d.quantile(q)
            #expect(x > 0 && x < 1, "a=\(d.alpha) b=\(d.beta) q=\(q) x=\(x)")
            // The root lies within one ulp of x: q is bracketed by the cdf at x's neighbours (up to
            // 1e-12 evaluation noise). A plain |cdf(x) − q| test cannot work near x = 1, where one ulp
            // of x is a large relative step of 1 − x.
            let target = q > 0.5 ? 1 - q : q
            let below = q > 0.5 ? d.survival(x.nextUp) : d.cdf(x.nextDown)
            let above = q > 0.5 ? d.survival(x.nextDown) : d.cdf(x.nextUp)
            #expect(below <= target * (1 + 1e-12) && target <= above * (1 + 1e-12),
                    "a=\(d.alpha) b=\(d.beta) q=\(q) x=\(x): \(below) ≤ \(target) ≤ \(above)")
        }
    }

    @Test("beta: stopping at a Halley step of 1e-6 · min(x, 1 − x) keeps 11 digits, alpha and beta in 1…100,000")
    func betaRelativeStep() async {
        await propertyCheck(count: 500, input: Gen.double(in: 0 ... 5), Gen.double(in: 0 ... 5),
                            Gen.double(in: 0.0005 ... 0.9995)) { la, lb, q in
            let d = BetaDistribution(alpha: pow(10, la), beta: pow(10, lb))
            for p in [q, 0.025, 0.975] {
                let exact = d.quantile(p)
                let fast = d.quantile(p, relativeStep: 1e-6)
                // Relative to the tail the quantile sits in (x near 1 is 1 − x small).
                let scale = min(exact, 1 - exact)
                #expect(abs(fast - exact) <= 1e-11 * scale, "a=\(d.alpha) b=\(d.beta) q=\(p): \(fast) vs \(exact)")
            }
        }
    }

    @Test("beta: quantile is monotone in q")
    func betaMonotone() async {
        await propertyCheck(count: 300, input: Gen.double(in: 0.5 ... 500), Gen.double(in: 0.5 ... 500),
                            Gen.double(in: 0.001 ... 0.998), Gen.double(in: 1e-6 ... 1e-3)) { a, b, q, step in
            let d = BetaDistribution(alpha: a, beta: b)
            #expect(d.quantile(q) <= d.quantile(q + step), "a=\(a) b=\(b) q=\(q) step=\(step)")
        }
    }

    @Test("Brinson: effects add up to the excess return (BHB always, BF when weights match)")
    func brinsonIdentity() async {
        let row = zip(Gen.double(in: 0.01 ... 1), Gen.double(in: 0.01 ... 1), Gen.double(in: -0.5 ... 0.5), Gen.double(in: -0.5 ... 0.5))
        await propertyCheck(count: 300, input: row.array(of: 1 ... 12), Gen.bool) { rows, normalise in
            let sp = rows.reduce(0) { $0 + $1.0 }
            let sb = rows.reduce(0) { $0 + $1.1 }
            let segments = rows.enumerated().map { k, r in
                AttributionSegment(category: "C\(k)", portfolioWeight: normalise ? r.0 / sp : r.0,
                                   benchmarkWeight: normalise ? r.1 / sb : r.1, portfolioReturn: r.2, benchmarkReturn: r.3)
            }
            let bhb = BrinsonAttribution(segments, method: .brinsonHoodBeebower)
            let bf = BrinsonAttribution(segments, method: .brinsonFachler)
            let scale = 1e-14 * Double(rows.count) * max(1, sp, sb)
            #expect(abs(bhb.residual) <= scale, "BHB residual \(bhb.residual)")
            let gap = -bf.benchmarkReturn * (bf.portfolioWeightSum - bf.benchmarkWeightSum)
            #expect(abs(bf.residual - gap) <= scale, "BF residual \(bf.residual) vs −R_b·Δw \(gap)")
            if normalise { #expect(abs(bf.residual) <= scale, "BF residual with matching weights \(bf.residual)") }
            #expect(abs(bf.totals.total - bhb.totals.total - gap) <= scale)
        }
    }

    @Test("Kelly: fraction always in [0, 8 %], 0 without edge, capped half-Kelly otherwise")
    func kellyCapAndFloor() async {
        await propertyCheck(count: 500, input: Gen.double(in: 0 ... 1), Gen.double(in: 0.01 ... 0.99),
                            Gen.double(in: -200 ... 300), Gen.double(in: -0.19 ... 5), Gen.double(in: -1 ... 1),
                            Gen.double(in: -0.5 ... 1)) { p, price, score, vol, corr, dd in
            let b = try AdaptiveKelly.netOdds(forPrice: price)
            let s = try AdaptiveKelly.sizing(KellyInputs(
                winProbability: p, netOdds: b, whaleScore: score, marketVolatility: vol,
                portfolioCorrelation: corr, portfolioDrawdown: dd))
            #expect(s.fraction >= 0 && s.fraction <= AdaptiveKelly.maximumFraction, "fraction \(s.fraction)")
            if s.fullKelly <= 0 {
                #expect(s.fraction == 0)
            } else {
                #expect(s.fraction == min(0.08, max(0, s.unclampedFraction)))
                // k_vol ≤ 1.2 and k_corr ≤ 1 bound the half-Kelly product from above.
                #expect(s.unclampedFraction <= 0.5 * s.fullKelly * max(0, s.confidenceFactor) * 1.2 * s.drawdownFactor + 1e-15)
            }
            // For a token bought at `price`, f* = (p − price)/(1 − price): edge iff p > price.
            #expect((s.fullKelly > 1e-12) == (p - price > 1e-12) || abs(p - price) < 1e-9)
        }
    }

    @Test("WQS stays in [0, 100]; drawdown in [0, 1]; HHI in [10000/N, 10000]")
    func ranges() async {
        await propertyCheck(count: 300, input: Gen.double(in: -0.9 ... 2).array(of: 1 ... 60)) { returns in
            let dd = Drawdown.statistics(returns)
            #expect(dd.maxDrawdown >= 0 && dd.maxDrawdown <= 1 && dd.currentDrawdown <= dd.maxDrawdown + 1e-15)
            let hhi = Concentration.herfindahlIndex(returns)
            let n = Double(returns.count)
            #expect(hhi >= 10_000 / n * (1 - 1e-12) && hhi <= 10_000 * (1 + 1e-12), "hhi \(hhi) n \(n)")
            let m = WhaleMetrics(sharpeRatio: returns[0] * 5, informationRatio: returns.last! * 3, calmarRatio: returns[0] * 10,
                                 consistencyScore: returns.last! * 30, totalVolumeUSD: pow(10, 2 + returns[0] * 4),
                                 tradeCount: n, hhiConcentration: hhi)
            let score = WhaleQualityScore.score(m)
            #expect(score >= 0 && score <= 100)
        }
    }

    @Test("Spearman is invariant under strictly increasing transforms")
    func spearmanInvariance() async {
        await propertyCheck(count: 200, input: zip(Gen.double(in: -3 ... 3), Gen.double(in: -3 ... 3)).array(of: 3 ... 40)) { pairs in
            let x = pairs.map(\.0)
            let y = pairs.map(\.1)
            let a = Correlation.spearman(x, y)
            let b = Correlation.spearman(x.map { exp($0) }, y.map { $0 * $0 * $0 + 2 * $0 })
            #expect(a.coefficient.isNaN == b.coefficient.isNaN)
            if !a.coefficient.isNaN { #expect(abs(a.coefficient - b.coefficient) <= 1e-14) }
        }
    }
}
