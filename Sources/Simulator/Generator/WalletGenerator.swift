import Foundation

/// A wallet's hidden behaviour.
struct WalletDraft: Sendable {
    var address: String
    var name: String
    var pseudonym: String
    var style: WalletStyle
    var skill: Double
    /// Category index a specialist knows.
    var category: Int?
    var regimeChange: Int64?
    /// Active from this instant to the world's end.
    var joined: Int64
    /// Trade decisions per day (before normalisation to the world's density).
    var rate: Double
    /// Median order notional in USDC and its log-normal spread.
    var medianUSDC: Double
    var sizeSigma: Double

    /// The edge this wallet brings to a market of `category` at `time`.
    func edge(category: Int, at time: Int64) -> Double {
        switch style {
        case .specialist: return category == self.category ? skill : 0
        case .decaying: return time < (regimeChange ?? .max) ? skill : 0
        default: return skill
        }
    }
}

enum WalletGenerator {
    /// Shares of each style (the rest is retail), and how much of the world's activity each
    /// style carries per wallet relative to retail.
    static let shares: [(WalletStyle, Double)] = [
        (.skilledWhale, 0.02), (.unskilledWhale, 0.06), (.marketMaker, 0.04), (.adversarial, 0.02),
        (.decaying, 0.03), (.specialist, 0.04),
    ]

    static func drafts(_ p: WorldParameters) -> [WalletDraft] {
        var rng = SplitMix64(seed: p.seed, stream: 3, index: 0)
        var styles: [WalletStyle] = []
        for (style, share) in shares {
            styles += Array(repeating: style, count: max(1, Int((share * Double(p.wallets)).rounded())))
        }
        styles += Array(repeating: .retail, count: max(0, p.wallets - styles.count))
        styles = Array(styles.prefix(p.wallets)).shuffled(using: &rng)
        let span = p.endTime - p.startTime
        var wallets = styles.map { style -> WalletDraft in
            let address = "0x" + rng.nextHex(digits: 40)
            let name = Names.userName(&rng)
            let pseudonym = Names.pseudonym(&rng)
            // Heavy-tailed edge: Pareto tails on top of a floor for the informed styles.
            let informedEdge = min(0.95, 0.3 + 0.08 * (pow(rng.nextUniform(), -1 / 2.0) - 1))
            let joined = rng.chance(0.5) ? p.startTime : p.startTime + Int64(rng.nextDouble() * 0.5 * Double(span))
            var w = WalletDraft(
                address: address, name: name, pseudonym: pseudonym, style: style, skill: 0, category: nil,
                regimeChange: nil, joined: joined, rate: 0, medianUSDC: 0, sizeSigma: 1)
            switch style {
            case .skilledWhale:
                w.skill = informedEdge
                (w.rate, w.medianUSDC, w.sizeSigma) = (rng.nextLogNormal(median: 0.5, sigma: 0.6), 2_500, 0.9)
            case .unskilledWhale:
                (w.rate, w.medianUSDC, w.sizeSigma) = (rng.nextLogNormal(median: 0.6, sigma: 0.6), 2_500, 1.0)
            case .marketMaker:
                // Quotes from the start; trades only as the takers' counterparty (MakerDesk).
                w.joined = p.startTime
                (w.rate, w.medianUSDC, w.sizeSigma) = (0, 0, 0)
            case .adversarial:
                (w.rate, w.medianUSDC, w.sizeSigma) = (rng.nextLogNormal(median: 0.8, sigma: 0.4), 700, 0.5)
            case .decaying:
                w.skill = informedEdge
                w.regimeChange = p.startTime + Int64((0.35 + 0.3 * rng.nextDouble()) * Double(span))
                (w.rate, w.medianUSDC, w.sizeSigma) = (rng.nextLogNormal(median: 0.5, sigma: 0.6), 1_500, 0.9)
            case .specialist:
                w.skill = informedEdge
                w.category = CategoryProfile.pick(&rng)
                (w.rate, w.medianUSDC, w.sizeSigma) = (rng.nextLogNormal(median: 0.4, sigma: 0.6), 1_200, 0.9)
            case .retail:
                // Most retail has no edge; one in six a small, heavy-tailed one.
                w.skill = rng.chance(1.0 / 6) ? min(0.5, 0.03 * pow(rng.nextUniform(), -1 / 1.2)) : 0
                (w.rate, w.medianUSDC, w.sizeSigma) = (rng.nextLogNormal(median: 0.2, sigma: 1.1), 5, 1.9)
            }
            return w
        }
        // Scale every rate so the expected number of fills matches the world's density: each
        // taker decision makes about 1.55 fills (orders walk the book, informed ones in slices),
        // and each taker fill a maker's fill.
        let days = wallets.map { Double(p.endTime - $0.joined) / 86_400 }
        let expected = zip(wallets, days).reduce(0) { $0 + $1.0.rate * $1.1 }
        let target = WorldParameters.tradesPerWalletMonth * Double(p.wallets * p.months) / 3.1
        let factor = expected > 0 ? target / expected : 1
        for i in wallets.indices { wallets[i].rate *= factor }
        return wallets
    }
}

/// Display names and pseudonyms in the Data API's style ("Cakra40", "Jam-Packed-Sewer").
enum Names {
    static let stems = ["Cakra", "Nomad", "Quill", "Vanta", "Orbit", "Pixel", "Ember", "Lumen", "Sable", "Tidal", "Kite", "Rune", "Zephyr", "Moss", "Cobalt", "Juniper"]
    static let adjectives = ["Jam-Packed", "Flamboyant", "Quiet", "Rapid", "Velvet", "Dusty", "Bright", "Hollow", "Lucky", "Frosty", "Brave", "Gentle"]
    static let nouns = ["Sewer", "Uniform", "Harbor", "Lantern", "Meadow", "Comet", "Anchor", "Falcon", "Garden", "Engine", "Canyon", "Violin"]

    static func userName(_ rng: inout SplitMix64) -> String {
        stems[Int(rng.next() % UInt64(stems.count))] + String(rng.next() % 1000)
    }

    static func pseudonym(_ rng: inout SplitMix64) -> String {
        adjectives[Int(rng.next() % UInt64(adjectives.count))] + "-" + nouns[Int(rng.next() % UInt64(nouns.count))]
    }
}
