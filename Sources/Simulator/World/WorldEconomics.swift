import Foundation

/// Who earns what in a world: per style, the return on volume and the share of fills with
/// positive expected value; the fees; whether the P&L adds up. Measured from the fills and the
/// truth only (average cost, resolved markets paid, the rest marked at the true probability at
/// the world's end), independently of the generator's own ledgers.
public struct WorldEconomics: Sendable {
    public struct StyleRow: Sendable {
        public var style: WalletStyle
        public var wallets = 0
        public var fills = 0
        public var volume = 0.0
        public var pnl = 0.0
        /// Makers: the takers' notional of the fills they matched (a maker that mints and keeps
        /// the complement of a 4¢ long shot spends 96¢ a share; the match traded 4¢). Others: volume.
        public var matchedVolume = 0.0
        /// Σ P&L ÷ Σ volume over the style's wallets.
        public var returnOnVolume: Double { volume > 0 ? pnl / volume : 0 }
        /// Σ P&L ÷ Σ matched volume: what a maker keeps of the volume it makes.
        public var returnOnMatchedVolume: Double { matchedVolume > 0 ? pnl / matchedVolume : 0 }
        /// The median wallet's P&L ÷ volume (wallets with volume).
        public var medianReturnOnVolume = 0.0
        /// Share of fills with positive expected value at fill time.
        public var positiveShare = 0.0
        /// Σ expected value ÷ Σ volume: the edge per dollar the style takes.
        public var expectedReturnOnVolume = 0.0
        /// Σ expected value ÷ Σ matched volume.
        public var expectedReturnOnMatchedVolume = 0.0
        /// 95 % interval of `expectedReturnOnMatchedVolume` over resampled markets: how much of
        /// the figure is which markets the world happened to draw.
        public var expectedInterval: ClosedRange<Double> = 0...0
        /// Where the style belongs (docs/simulator.md), judged on `expectedReturnOnMatchedVolume`.
        public var band: Band { Band.of(style) }
        public var inBand: Bool { band.contains(expectedReturnOnMatchedVolume) }
    }

    /// The issue's targets for each style's expected return on the volume it makes (makers) or
    /// trades (everyone else): makers keep a little of the spread, skill pays after fees, the
    /// uninformed and the pumpers lose. Decaying wallets are skilled for part of the world and
    /// have none.
    public enum Band: Sendable, Equatable {
        case within(ClosedRange<Double>)
        case above(Double)
        case below(Double)
        case none

        public static func of(_ style: WalletStyle) -> Band {
            switch style {
            case .marketMaker: .within(0.005...0.02)
            case .skilledWhale: .above(0.03)
            case .specialist: .above(0)
            case .unskilledWhale, .retail, .adversarial: .below(0)
            case .decaying: .none
            }
        }

        public func contains(_ x: Double) -> Bool {
            switch self {
            case .within(let range): range.contains(x)
            case .above(let floor): x > floor
            case .below(let ceiling): x < ceiling
            case .none: true
            }
        }

        public var description: String {
            switch self {
            case .within(let range): String(format: "%+.3f … %+.3f", range.lowerBound, range.upperBound)
            case .above(let floor): String(format: "> %+.3f", floor)
            case .below(let ceiling): String(format: "< %+.3f", ceiling)
            case .none: "—"
            }
        }
    }

    /// Informed taker fills (the wallet's skill in force for that market then, > 0): that skill
    /// and the fill's expected value per dollar, in the world's fill order.
    public var skillEdges: [(skill: Double, edge: Double)]
    /// Σ expected value ÷ Σ notional of those fills by quartile of skill (lowest first).
    public var edgeBySkillQuartile: [Double]
    /// Per informed wallet (10 informed fills or more): its skill and Σ expected value ÷ Σ
    /// notional of its informed fills.
    public var walletSkillEdges: [(skill: Double, edge: Double)]

    public var styles: [StyleRow]
    /// Taker fees paid, USDC.
    public var fees: Double
    /// Σ P&L over every wallet (it must be −fees, to rounding).
    public var totalPnl: Double
    /// Each wallet's P&L, expected P&L (Σ expected value of its fills) and volume, by index.
    public var walletPnl: [Double]
    public var walletExpectedPnl: [Double]
    public var walletVolume: [Double]

    public static func measure(_ world: SimulatedWorld) -> WorldEconomics {
        let w = world.wallets.count
        var pnl = [Double](repeating: 0, count: w)
        var volume = [Double](repeating: 0, count: w)
        var expected = [Double](repeating: 0, count: w)
        var fills = [Int](repeating: 0, count: w)
        var positive = [Int](repeating: 0, count: w)
        var matched = [Double](repeating: 0, count: w)
        var skillEdges: [(skill: Double, edge: Double, notional: Double)] = []
        var informed = [(value: Double, notional: Double, fills: Int)](repeating: (0, 0, 0), count: w)
        var fees = 0.0
        // Σ expected value and Σ matched volume per (style, market), for the intervals.
        let styleIndex = Dictionary(uniqueKeysWithValues: WalletStyle.allCases.enumerated().map { ($1, $0) })
        let m = world.markets.count
        var marketExpected = [Double](repeating: 0, count: styleIndex.count * m)
        var marketMatched = [Double](repeating: 0, count: styleIndex.count * m)
        // The taker's token of each match (its fills share the transaction).
        var takerOutcome: [UInt64: UInt8] = [:]
        for t in world.trades where !t.isMaker { takerOutcome[t.transactionSeed] = t.outcomeIndex }
        // Net shares and cash per (wallet, market, outcome); marked at the end.
        var shares: [Int64: Double] = [:]
        for t in world.trades {
            let market = world.markets[Int(t.market)]
            let i = Int(t.wallet)
            let price = Double(t.priceMicros) / 1e6
            let size = Double(t.sharesMicros) / 1e6
            let fee = t.isMaker ? 0 : size * market.truth.takerFeeRate * price * (1 - price)
            let q = market.trueProbability(of: Int(t.outcomeIndex), at: t.time)
            fills[i] += 1
            if t.positiveExpectedValue { positive[i] += 1 }
            volume[i] += size * price
            let complement = t.isMaker && takerOutcome[t.transactionSeed].map { $0 != t.outcomeIndex } == true
            let matchedNotional = size * (complement ? 1 - price : price)
            matched[i] += matchedNotional
            fees += fee
            pnl[i] += (t.isBuy ? -size * price : size * price) - fee
            let value = size * (t.isBuy ? q - price : price - q) - fee
            expected[i] += value
            let cell = styleIndex[world.wallets[i].truth.style]! * m + Int(t.market)
            marketExpected[cell] += value
            marketMatched[cell] += matchedNotional
            let skill = world.wallets[i].truth.edge(category: market.truth.category, at: t.time)
            if !t.isMaker, skill > 0, size * price > 0 {
                skillEdges.append((skill, value / (size * price), size * price))
                informed[i].value += value
                informed[i].notional += size * price
                informed[i].fills += 1
            }
            let key = Int64(t.wallet) << 32 | Int64(t.market) << 1 | Int64(t.outcomeIndex)
            shares[key, default: 0] += t.isBuy ? size : -size
        }
        for (key, held) in shares {
            let market = world.markets[Int((key & 0xFFFF_FFFF) >> 1)]
            let outcome = Int(key & 1)
            let value: Double
            if market.truth.resolvedAt <= world.endTime {
                value = market.truth.outcome == .void ? 0.5 : ((market.truth.outcome == .yes) == (outcome == 0) ? 1 : 0)
            } else {
                value = market.trueProbability(of: outcome, at: world.endTime)
            }
            pnl[Int(key >> 32)] += held * value
        }
        var rows: [StyleRow] = []
        for style in WalletStyle.allCases {
            var row = StyleRow(style: style)
            var ratios: [Double] = []
            var expectedSum = 0.0
            var positiveCount = 0
            for i in 0..<w where world.wallets[i].truth.style == style {
                row.wallets += 1
                row.fills += fills[i]
                row.volume += volume[i]
                row.matchedVolume += matched[i]
                row.pnl += pnl[i]
                expectedSum += expected[i]
                positiveCount += positive[i]
                if volume[i] > 0 { ratios.append(pnl[i] / volume[i]) }
            }
            ratios.sort()
            row.medianReturnOnVolume = ratios.isEmpty ? 0 : ratios.count % 2 == 1
                ? ratios[ratios.count / 2] : (ratios[ratios.count / 2 - 1] + ratios[ratios.count / 2]) / 2
            row.positiveShare = row.fills > 0 ? Double(positiveCount) / Double(row.fills) : 0
            row.expectedReturnOnVolume = row.volume > 0 ? expectedSum / row.volume : 0
            row.expectedReturnOnMatchedVolume = row.matchedVolume > 0 ? expectedSum / row.matchedVolume : 0
            let base = styleIndex[style]! * m
            row.expectedInterval = resampledInterval(
                expected: marketExpected[base..<base + m], matched: marketMatched[base..<base + m], seed: world.parameters.seed)
            rows.append(row)
        }
        let bySkill = skillEdges.sorted { $0.skill < $1.skill }
        let quartiles = (0..<4).map { k -> Double in
            let part = bySkill[(bySkill.count * k / 4)..<(bySkill.count * (k + 1) / 4)]
            let notional = part.reduce(0) { $0 + $1.notional }
            return notional > 0 ? part.reduce(0) { $0 + $1.edge * $1.notional } / notional : 0
        }
        let walletSkillEdges = (0..<w).filter { informed[$0].fills >= 10 }.map {
            (skill: world.wallets[$0].truth.skill, edge: informed[$0].value / informed[$0].notional)
        }
        return WorldEconomics(
            skillEdges: skillEdges.map { ($0.skill, $0.edge) }, edgeBySkillQuartile: quartiles, walletSkillEdges: walletSkillEdges,
            styles: rows, fees: fees,
            totalPnl: pnl.reduce(0, +), walletPnl: pnl, walletExpectedPnl: expected, walletVolume: volume)
    }

    public func row(_ style: WalletStyle) -> StyleRow { styles.first { $0.style == style }! }

    /// Every style with wallets is in its band.
    public var allInBand: Bool { styles.allSatisfy { $0.wallets == 0 || $0.inBand } }

    /// The 2.5 % and 97.5 % quantiles of Σ expected ÷ Σ matched over 1,000 draws of the world's
    /// markets with replacement (a market's fills move together: one mispriced market is many
    /// fills). SplitMix64 from the world's seed: the same interval every run.
    static func resampledInterval(expected: ArraySlice<Double>, matched: ArraySlice<Double>, seed: UInt64) -> ClosedRange<Double> {
        let e = Array(expected)
        let v = Array(matched)
        guard v.contains(where: { $0 > 0 }) else { return 0...0 }
        var random = SplitMix64(seed: seed ^ 0xB007_5742)
        let draws = 1_000
        var ratios: [Double] = []
        ratios.reserveCapacity(draws)
        for _ in 0..<draws {
            var sumE = 0.0
            var sumV = 0.0
            for _ in 0..<e.count {
                let k = Int(random.next() % UInt64(e.count))
                sumE += e[k]
                sumV += v[k]
            }
            ratios.append(sumV > 0 ? sumE / sumV : 0)
        }
        ratios.sort()
        return ratios[Int(0.025 * Double(draws))]...ratios[Int(0.975 * Double(draws)) - 1]
    }

    /// The table `remora calibrate` prints.
    public var table: String {
        var lines = [
            "| style | wallets | fills | volume (USDC) | realized return on volume (all / median) | expected return on volume | on matched volume (realized / expected) | 95 % interval, resampling markets | band | share of +EV fills |",
            "|---|---:|---:|---:|---|---:|---|---|---|---:|",
        ]
        for r in styles where r.wallets > 0 {
            lines.append(
                "| \(r.style.rawValue) | \(r.wallets) | \(r.fills) | \(String(format: "%.0f", r.volume)) | "
                    + String(format: "%+.3f / %+.3f", r.returnOnVolume, r.medianReturnOnVolume) + " | "
                    + String(format: "%+.3f", r.expectedReturnOnVolume) + " | "
                    + String(format: "%+.3f / %+.3f", r.returnOnMatchedVolume, r.expectedReturnOnMatchedVolume) + " | "
                    + String(format: "%+.3f … %+.3f", r.expectedInterval.lowerBound, r.expectedInterval.upperBound) + " | "
                    + (r.band == .none ? "—" : "\(r.band.description) \(r.inBand ? "✓" : "✗")") + " | "
                    + String(format: "%.0f %%", 100 * r.positiveShare) + " |")
        }
        lines.append("")
        let outside = styles.filter { $0.wallets > 0 && !$0.inBand }.map(\.style.rawValue)
        lines.append(outside.isEmpty ? "every style in its band (expected, on matched volume)" : "outside its band: " + outside.joined(separator: ", "))
        lines.append(String(format: "taker fees %.2f USDC; Σ P&L over all wallets %.2f USDC (must be −fees)", fees, totalPnl))
        lines.append(
            "expected value per dollar of informed taker fills by quartile of skill (low → high): "
                + edgeBySkillQuartile.map { String(format: "%+.3f", $0) }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}

extension WalletTruth {
    /// The skill this wallet brings to a market of `category` at `time`: a specialist's only in
    /// its category, a decaying wallet's only before its regime change.
    public func edge(category: String, at time: Int64) -> Double {
        switch style {
        case .specialist: category == self.category ? skill : 0
        case .decaying: time < (regimeChange ?? .max) ? skill : 0
        default: skill
        }
    }
}
