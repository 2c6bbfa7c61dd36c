import Foundation
import RemoraQuant
import Testing

private struct BrinsonFile: Decodable {
    struct Inputs: Decodable { let w_p: [Double], w_b: [Double], r_p: [Double], r_b: [Double] }
    struct Effects: Decodable {
        let allocation_bhb: Double, allocation_bf: Double, selection: Double, interaction: Double
        let selection_incl_interaction: Double
    }
    struct Case: Decodable {
        let name: String
        let categories: [String]
        let inputs: Inputs
        let R_p: Double, R_b: Double, excess: Double, sum_wp: Double, sum_wb: Double
        let per_category: [Effects]
        let totals: Effects
        let residual_bhb: Double, residual_bf: Double
        let rel_tol: Double, abs_tol: Double
    }
    let cases: [Case]
}

@Suite("Brinson attribution against brinson.json")
struct AttributionVectorTests {
    @Test("BF and BHB per-category effects, totals and residuals, every case")
    func brinson() throws {
        let file = try Fixture.load("brinson", as: BrinsonFile.self)
        #expect(file.cases.count >= 9)
        for c in file.cases {
            let segments = c.categories.indices.map {
                AttributionSegment(category: c.categories[$0], portfolioWeight: c.inputs.w_p[$0],
                                   benchmarkWeight: c.inputs.w_b[$0], portfolioReturn: c.inputs.r_p[$0],
                                   benchmarkReturn: c.inputs.r_b[$0])
            }
            let bf = BrinsonAttribution(segments, method: .brinsonFachler)
            let bhb = BrinsonAttribution(segments, method: .brinsonHoodBeebower)
            let (rel, abs) = (c.rel_tol, c.abs_tol)
            expectClose(bf.portfolioReturn, c.R_p, rel: rel, abs: abs, "\(c.name) R_p")
            expectClose(bf.benchmarkReturn, c.R_b, rel: rel, abs: abs, "\(c.name) R_b")
            expectClose(bf.excessReturn, c.excess, rel: rel, abs: abs, "\(c.name) excess")
            expectClose(bf.portfolioWeightSum, c.sum_wp, rel: rel, abs: abs, "\(c.name) sum w_p")
            expectClose(bf.benchmarkWeightSum, c.sum_wb, rel: rel, abs: abs, "\(c.name) sum w_b")
            for (k, e) in c.per_category.enumerated() {
                let label = "\(c.name) [\(c.categories[k])]"
                #expect(bf.categories[k].category == c.categories[k])
                expectClose(bf.categories[k].effects.allocation, e.allocation_bf, rel: rel, abs: abs, "\(label) allocation BF")
                expectClose(bhb.categories[k].effects.allocation, e.allocation_bhb, rel: rel, abs: abs, "\(label) allocation BHB")
                expectClose(bf.categories[k].effects.selection, e.selection, rel: rel, abs: abs, "\(label) selection")
                expectClose(bf.categories[k].effects.interaction, e.interaction, rel: rel, abs: abs, "\(label) interaction")
                expectClose(bf.categories[k].effects.selectionIncludingInteraction, e.selection_incl_interaction,
                            rel: rel, abs: abs, "\(label) 2-factor selection")
            }
            expectClose(bf.totals.allocation, c.totals.allocation_bf, rel: rel, abs: abs, "\(c.name) total allocation BF")
            expectClose(bhb.totals.allocation, c.totals.allocation_bhb, rel: rel, abs: abs, "\(c.name) total allocation BHB")
            expectClose(bf.totals.selection, c.totals.selection, rel: rel, abs: abs, "\(c.name) total selection")
            expectClose(bf.totals.interaction, c.totals.interaction, rel: rel, abs: abs, "\(c.name) total interaction")
            expectClose(bf.totals.selectionIncludingInteraction, c.totals.selection_incl_interaction,
                        rel: rel, abs: abs, "\(c.name) total 2-factor selection")
            expectClose(bf.residual, c.residual_bf, rel: rel, abs: abs, "\(c.name) residual BF")
            expectClose(bhb.residual, c.residual_bhb, rel: rel, abs: abs, "\(c.name) residual BHB")
        }
    }
}
