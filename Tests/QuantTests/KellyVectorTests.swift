import Foundation
import RemoraQuant
import Testing

private struct KellyFile: Decodable {
    struct Inputs: Decodable {
        let p: Double, b: Double, whale_score: Double, market_vol: Double, portfolio_corr: Double, portfolio_dd: Double
    }
    struct Trace: Decodable {
        let branch: String
        let f_kelly: Double?
        let k_conf: Double?, k_vol: Double?, k_corr: Double?, k_dd: Double?
        let f_adjusted_unclamped: Double?
        let clamps: [String]?
    }
    struct Case: Decodable {
        let label: String
        let inputs: Inputs
        let expected: Double
        let trace: Trace
        let rel_tol: Double
    }
    let cases: [Case]
}

private struct EWMAFile: Decodable {
    struct Path: Decodable { let sigma2_init: Double; let sigma2_path: [Double]; let final_vol_forecast: Double }
    struct Inputs: Decodable { let returns: [Double]?; let prices: [Double]?; let log_returns: [Double]? }
    struct Wrong: Decodable { let final_sqrt: Double }
    struct Case: Decodable {
        let name: String
        let lambda: Double
        let inputs: Inputs
        let init_arch_backcast: Path
        let init_first_sq_return: Path
        let init_mean_sq_return: Path
        let WRONG_price_levels_squared: Wrong?
        let rel_tol: Double
    }
    let cases: [Case]
}

@Suite("Adaptive Kelly against kelly.json, EWMA against ewma.json")
struct KellyVectorTests {
    @Test("position size and every intermediate factor, every case")
    func kelly() throws {
        let file = try Fixture.load("kelly", as: KellyFile.self)
        #expect(file.cases.count >= 41)
        for c in file.cases {
            let i = c.inputs
            let inputs = KellyInputs(
                winProbability: i.p, netOdds: i.b, whaleScore: i.whale_score, marketVolatility: i.market_vol,
                portfolioCorrelation: i.portfolio_corr, portfolioDrawdown: i.portfolio_dd)
            if c.trace.branch == "b<=0" {
                // Seed returned 0 here; we refuse non-positive odds with a typed error (no position either way).
                #expect(c.expected == 0, "\(c.label): seed sized nothing")
                #expect(throws: KellyInputError.nonPositiveOdds(i.b), "\(c.label): non-positive odds rejected") {
                    try AdaptiveKelly.sizing(inputs)
                }
                continue
            }
            let s: KellySizing
            do { s = try AdaptiveKelly.sizing(inputs) } catch {
                Issue.record("\(c.label): unexpected error \(error)")
                continue
            }
            expectClose(s.fraction, c.expected, rel: c.rel_tol, "\(c.label) fraction")
            expectClose(try AdaptiveKelly.positionFraction(inputs), c.expected, rel: c.rel_tol, "\(c.label) positionFraction")
            if let f = c.trace.f_kelly { expectClose(s.fullKelly, f, rel: c.rel_tol, "\(c.label) f_kelly") }
            guard c.trace.branch == "sized" else {
                #expect(s.fraction == 0, "\(c.label): no edge, no position")
                continue
            }
            expectClose(s.confidenceFactor, c.trace.k_conf!, rel: c.rel_tol, "\(c.label) k_conf")
            expectClose(s.volatilityFactor, c.trace.k_vol!, rel: c.rel_tol, "\(c.label) k_vol")
            expectClose(s.correlationFactor, c.trace.k_corr!, rel: c.rel_tol, "\(c.label) k_corr")
            expectClose(s.drawdownFactor, c.trace.k_dd!, rel: c.rel_tol, "\(c.label) k_dd")
            expectClose(s.unclampedFraction, c.trace.f_adjusted_unclamped!, rel: c.rel_tol, "\(c.label) f_adjusted")
            let clamps = c.trace.clamps ?? []
            #expect(clamps.contains("cap_0.08") == (s.fraction == 0.08 && s.unclampedFraction > 0.08), "\(c.label): cap")
            #expect(clamps.contains("floor_0") == (s.unclampedFraction < 0), "\(c.label): floor")
        }
    }

    @Test("input validation, odds from price, probability blend")
    func validationAndHelpers() throws {
        func inputs(p: Double = 0.6, b: Double = 1, vol: Double = 0.1) -> KellyInputs {
            KellyInputs(winProbability: p, netOdds: b, whaleScore: 70, marketVolatility: vol,
                        portfolioCorrelation: 0.2, portfolioDrawdown: 0.05)
        }
        #expect(throws: KellyInputError.probabilityOutOfRange(1.2)) { try AdaptiveKelly.sizing(inputs(p: 1.2)) }
        #expect(throws: KellyInputError.probabilityOutOfRange(-0.1)) { try AdaptiveKelly.sizing(inputs(p: -0.1)) }
        #expect(throws: KellyInputError.nonFinite(field: "marketVolatility")) { try AdaptiveKelly.sizing(inputs(vol: .nan)) }
        #expect(throws: KellyInputError.nonFinite(field: "netOdds")) { try AdaptiveKelly.sizing(inputs(b: .infinity)) }
        #expect(throws: KellyInputError.priceOutOfRange(1)) { try AdaptiveKelly.netOdds(forPrice: 1) }
        expectClose(try AdaptiveKelly.netOdds(forPrice: 0.62), 0.6129032258064515, rel: 1e-15, "odds at 0.62")
        expectClose(try AdaptiveKelly.netOdds(forPrice: 0.2), 4, rel: 1e-15, "odds at 0.20")
        expectClose(AdaptiveKelly.blendedWinProbability(whale: 0.7, market: 0.6), 0.67, rel: 1e-15, "blend")
    }

    @Test("EWMA variance path under all three initialisations, every case")
    func ewma() throws {
        let file = try Fixture.load("ewma", as: EWMAFile.self)
        #expect(file.cases.count >= 3)
        for c in file.cases {
            let returns: [Double]
            if let prices = c.inputs.prices {
                let logReturns = try #require(c.inputs.log_returns)
                let ours = EWMAVolatility.logReturns(prices: prices)
                #expect(ours.count == logReturns.count, "\(c.name): log-return count")
                for (k, (a, e)) in zip(ours, logReturns).enumerated() {
                    expectClose(a, e, rel: c.rel_tol, abs: 1e-17, "\(c.name) log return \(k)")
                }
                returns = logReturns
            } else {
                returns = try #require(c.inputs.returns)
            }
            let variants: [(String, EWMAVolatility.Initialization, EWMAFile.Path)] = [
                ("arch_backcast", .archBackcast, c.init_arch_backcast),
                ("first_sq_return", .firstSquaredReturn, c.init_first_sq_return),
                ("mean_sq_return", .meanSquaredReturn, c.init_mean_sq_return),
            ]
            for (label, initialization, expected) in variants {
                let model = EWMAVolatility(lambda: c.lambda, initialization: initialization)
                let path = model.variancePath(returns: returns)
                #expect(path.count == expected.sigma2_path.count, "\(c.name) \(label): path length")
                expectClose(model.initialVariance(returns), expected.sigma2_init, rel: c.rel_tol, "\(c.name) \(label) init")
                for (t, (a, e)) in zip(path, expected.sigma2_path).enumerated() {
                    expectClose(a, e, rel: c.rel_tol, "\(c.name) \(label) sigma2[\(t)]")
                }
                expectClose(model.forecastVolatility(returns: returns), expected.final_vol_forecast, rel: c.rel_tol,
                            "\(c.name) \(label) final vol")
                if let wrong = c.WRONG_price_levels_squared {
                    #expect(model.forecastVolatility(returns: returns) < wrong.final_sqrt / 5,
                            "\(c.name) \(label): volatility of returns, not of price levels")
                }
            }
        }
    }
}
