import Foundation
import RemoraQuant
import Testing

private struct NormPPFFile: Decodable {
    struct Case: Decodable { let q: Double; let expected: Double; let rel_tol: Double }
    struct Edge: Decodable { let q: Double; let expected: Double }
    let cases: [Case]
    let edge_cases: [Edge]
}

private struct BetaPPFFile: Decodable {
    struct Case: Decodable {
        let alpha: Double, beta: Double, q: Double
        let expected: Double
        let closed_form: String?
        let rel_tol: Double
    }
    struct Posterior: Decodable {
        let prior_alpha: Double, prior_beta: Double, wins: Double, losses: Double, level: Double
        let posterior_alpha: Double, posterior_beta: Double
        let q_lo: Double, q_hi: Double
        let posterior_mean: Double, posterior_median: Double
        let ci_lo: Double, ci_hi: Double
        let rel_tol: Double
    }
    let cases: [Case]
    let posterior_cases: [Posterior]
}

@Suite("Distributions against norm_ppf.json and beta_ppf.json")
struct DistributionVectorTests {
    @Test("normal quantile: every case and edge case")
    func normalQuantile() throws {
        let file = try Fixture.load("norm_ppf", as: NormPPFFile.self)
        #expect(file.cases.count >= 31)
        for c in file.cases {
            expectClose(NormalDistribution.standardQuantile(c.q), c.expected, rel: c.rel_tol, "norm_ppf q=\(c.q)")
            expectClose(NormalDistribution.standard.quantile(c.q), c.expected, rel: c.rel_tol, "norm_ppf (instance) q=\(c.q)")
        }
        for e in file.edge_cases {
            expectClose(NormalDistribution.standardQuantile(e.q), e.expected, rel: 0, "norm_ppf edge q=\(e.q)")
        }
    }

    @Test("beta quantile: every (alpha, beta, q) case at its tolerance")
    func betaQuantile() throws {
        let file = try Fixture.load("beta_ppf", as: BetaPPFFile.self)
        #expect(file.cases.count >= 60)
        for c in file.cases {
            let d = BetaDistribution(alpha: c.alpha, beta: c.beta)
            let name = "beta_ppf a=\(c.alpha) b=\(c.beta) q=\(c.q)"
            let x = d.quantile(c.q)
            expectClose(x, c.expected, rel: c.rel_tol, name)
            // Round trip through the cdf: I_x(a, b) = q.
            let back = c.q > 0.5 ? 1 - d.survival(x) : d.cdf(x)
            expectClose(back, c.q, rel: 1e-9, "\(name) cdf(ppf)")
        }
    }

    @Test("beta quantile: closed forms Beta(1,1), Beta(1/2,1/2), Beta(1,b), Beta(a,1)")
    func betaClosedForms() throws {
        let file = try Fixture.load("beta_ppf", as: BetaPPFFile.self)
        for c in file.cases {
            guard let form = c.closed_form else { continue }
            let x = BetaDistribution(alpha: c.alpha, beta: c.beta).quantile(c.q)
            let exact: Double
            switch form {
            case "q": exact = c.q
            case "sin(pi*q/2)^2": exact = pow(sin(Double.pi * c.q / 2), 2)
            case "1-(1-q)^(1/b)": exact = -expm1(log1p(-c.q) / c.beta)
            case "q^(1/a)": exact = pow(c.q, 1 / c.alpha)
            default: Issue.record("unknown closed form \(form)"); continue
            }
            expectClose(x, exact, rel: 1e-13, "closed form \(form) a=\(c.alpha) b=\(c.beta) q=\(c.q)")
        }
    }

    @Test("Beta-binomial posterior: mean, median and equal-tailed interval of every case")
    func posteriorIntervals() throws {
        let file = try Fixture.load("beta_ppf", as: BetaPPFFile.self)
        #expect(file.posterior_cases.count >= 8)
        for c in file.posterior_cases {
            let name = "posterior prior=(\(c.prior_alpha),\(c.prior_beta)) w=\(c.wins) l=\(c.losses) level=\(c.level)"
            let post = BetaBinomialPosterior(priorAlpha: c.prior_alpha, priorBeta: c.prior_beta, wins: c.wins, losses: c.losses)
            #expect(post.distribution.alpha == c.posterior_alpha && post.distribution.beta == c.posterior_beta, "\(name) parameters")
            expectClose(post.mean, c.posterior_mean, rel: c.rel_tol, "\(name) mean")
            expectClose(post.distribution.quantile(0.5), c.posterior_median, rel: c.rel_tol, "\(name) median")
            let ci = post.credibleInterval(level: c.level)
            expectClose(ci.lowerBound, c.ci_lo, rel: c.rel_tol, "\(name) ci_lo")
            expectClose(ci.upperBound, c.ci_hi, rel: c.rel_tol, "\(name) ci_hi")
            // The interval's tail probabilities are the doubles (1-level)/2 and 1-(1-level)/2.
            #expect((1 - c.level) / 2 == c.q_lo && 1 - (1 - c.level) / 2 == c.q_hi, "\(name) tail probabilities")
        }
    }

    @Test("normal cdf spot values (Cody) and tails")
    func normalCDF() {
        expectClose(NormalDistribution.standard.cdf(0), 0.5, rel: 0, "Phi(0)")
        expectClose(NormalDistribution.standard.cdf(-1.959963984540054), 0.025, rel: 1e-15, "Phi(-1.96)")
        expectClose(NormalDistribution.standard.cdf(-10), 7.61985302416052606597334325e-24, rel: 1e-14, "Phi(-10)")
        expectClose(NormalDistribution.standard.survival(10), 7.61985302416052606597334325e-24, rel: 1e-14, "Q(10)")
        expectClose(NormalDistribution.standard.cdf(-37), 5.725571222524576822683e-300, rel: 1e-14, "Phi(-37)")
        expectClose(ChiSquareOneDegree.survival(3.841458820694124), 0.05000000000000005743537, rel: 1e-14, "chi2_1 sf at 5% critical value")
    }
}
