/// One category's weights and returns for attribution (fractions: 0.3 = 30 %, 0.05 = +5 %).
public struct AttributionSegment: Sendable, Hashable {
    /// Category name (e.g. "Politics").
    public var category: String
    /// Portfolio weight w_p,i.
    public var portfolioWeight: Double
    /// Benchmark weight w_b,i.
    public var benchmarkWeight: Double
    /// Portfolio return within the category r_p,i. For a category the portfolio does not hold, pass
    /// the benchmark return so that selection and interaction are 0.
    public var portfolioReturn: Double
    /// Benchmark return within the category r_b,i.
    public var benchmarkReturn: Double

    /// A category row (units as documented on each property).
    public init(category: String, portfolioWeight: Double, benchmarkWeight: Double,
                portfolioReturn: Double, benchmarkReturn: Double) {
        self.category = category
        self.portfolioWeight = portfolioWeight
        self.benchmarkWeight = benchmarkWeight
        self.portfolioReturn = portfolioReturn
        self.benchmarkReturn = benchmarkReturn
    }
}

/// The three Brinson effects (return fractions).
public struct AttributionEffects: Sendable, Hashable {
    /// Allocation effect.
    public var allocation: Double
    /// Selection effect w_b·(r_p − r_b).
    public var selection: Double
    /// Interaction effect (w_p − w_b)·(r_p − r_b).
    public var interaction: Double
    /// 2-factor selection w_p·(r_p − r_b) = selection + interaction.
    public var selectionIncludingInteraction: Double { selection + interaction }
    /// allocation + selection + interaction.
    public var total: Double { allocation + selection + interaction }
}

/// One category's attribution.
public struct CategoryAttribution: Sendable, Hashable {
    /// Category name.
    public let category: String
    /// Its allocation, selection and interaction effects.
    public let effects: AttributionEffects
}

/// Brinson attribution of R_p − R_b by category.
public struct BrinsonAttribution: Sendable, Hashable {
    /// Which allocation benchmark to use.
    public enum Method: Sendable, Hashable {
        /// Brinson-Fachler (1985, default): allocation (w_p − w_b)(r_b,i − R_b); rewards overweighting
        /// only categories that beat the total benchmark.
        case brinsonFachler
        /// Brinson-Hood-Beebower (1986): allocation (w_p − w_b)·r_b,i.
        case brinsonHoodBeebower
    }

    /// Method used.
    public let method: Method
    /// Per-category effects, in input order, with the category names.
    public let categories: [CategoryAttribution]
    /// Sums over categories.
    public let totals: AttributionEffects
    /// Portfolio return R_p = Σ w_p,i r_p,i.
    public let portfolioReturn: Double
    /// Benchmark return R_b = Σ w_b,i r_b,i.
    public let benchmarkReturn: Double
    /// Σ w_p,i.
    public let portfolioWeightSum: Double
    /// Σ w_b,i.
    public let benchmarkWeightSum: Double

    /// R_p − R_b.
    public var excessReturn: Double { portfolioReturn - benchmarkReturn }
    /// totals.total − excess: 0 up to rounding for BHB always, for BF only when Σw_p = Σw_b
    /// (otherwise −R_b·(Σw_p − Σw_b): include cash as a category to close the gap).
    public var residual: Double { totals.total - excessReturn }

    /// Attributes the excess return over `segments` with `method` (default Brinson-Fachler).
    public init(_ segments: [AttributionSegment], method: Method = .brinsonFachler) {
        self.method = method
        var rp = CompensatedSum()
        var rb = CompensatedSum()
        var swp = CompensatedSum()
        var swb = CompensatedSum()
        for s in segments {
            rp.add(s.portfolioWeight * s.portfolioReturn)
            rb.add(s.benchmarkWeight * s.benchmarkReturn)
            swp.add(s.portfolioWeight)
            swb.add(s.benchmarkWeight)
        }
        let totalBenchmark = rb.value
        var alloc = CompensatedSum()
        var sel = CompensatedSum()
        var inter = CompensatedSum()
        categories = segments.map { s in
            let activeWeight = s.portfolioWeight - s.benchmarkWeight
            let activeReturn = s.portfolioReturn - s.benchmarkReturn
            let reference = method == .brinsonFachler ? s.benchmarkReturn - totalBenchmark : s.benchmarkReturn
            let e = AttributionEffects(
                allocation: activeWeight * reference,
                selection: s.benchmarkWeight * activeReturn,
                interaction: activeWeight * activeReturn)
            alloc.add(e.allocation)
            sel.add(e.selection)
            inter.add(e.interaction)
            return CategoryAttribution(category: s.category, effects: e)
        }
        totals = AttributionEffects(allocation: alloc.value, selection: sel.value, interaction: inter.value)
        portfolioReturn = rp.value
        benchmarkReturn = totalBenchmark
        portfolioWeightSum = swp.value
        benchmarkWeightSum = swb.value
    }

}
