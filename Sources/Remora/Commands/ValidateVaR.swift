import ArgumentParser
import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import RemoraSimulator

/// The book's mVaR against what happened next (docs/risk.md, "Validation"): on simulated years,
/// each day a copy-like book is measured at the day's start with the risk guard's own function
/// (``BookRisk/valueAtRisk``) and its loss over the day is compared with it.
struct ValidateVaR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "var",
        abstract: "Backtest the book's 1-day 99 % mVaR on simulated years: Kupiec POF, Christoffersen independence, and the seed's wrong-tail formula beside it.",
        discussion: """
            For each world (seeds --seed, --seed + 1, …) and each day after the first 60: the book holds up to \
            --positions tokens the world's skilled whales and specialists bought in the 7 days before (most \
            recent first; markets trading for at least two more days, prices in [0.02, 0.98]), each worth --weight \
            of NAV at the day's start. Its mVaR is measured as the risk guard measures it (60 days of daily \
            price changes on today's shares, Cornish-Fisher at 99 %, stand-ins for short history); its loss is \
            what the same shares lost by the next day's start. An exception is a loss above the mVaR. Exceptions \
            are pooled over the worlds for Kupiec's test (expected 1 %) and their day-to-day transitions, within \
            each world, for Christoffersen's. The seed's formula (z = Φ⁻¹(0.99), minus the upper quantile) is \
            scored on the same scenarios, as written and as its magnitude.
            """)

    @Option(help: "First world seed.") var seed: UInt64 = 1
    @Option(help: "Worlds (simulated years with --months 12).") var worlds = 10
    @Option(help: "Calendar months each world spans.") var months = 12
    @Option(help: "Wallets per world.") var wallets = 300
    @Option(help: "Markets per world.") var markets = 200
    @Option(help: "Positions the book holds at most each day.") var positions = 10
    @Option(help: "Each position's value, fraction of NAV.") var weight = 0.05
    @Option(help: "The floor's horizon in days, as REMORA_RISK_VAR_FLOOR_DAYS (0: no floor).") var floorDays = VaRPolicy().floorHorizonDays

    func run() throws {
        guard worlds >= 1, positions >= 1, weight > 0, Double(positions) * weight <= 1, (0...365).contains(floorDays) else {
            throw ValidationError("--worlds and --positions must be positive, --positions × --weight at most 1, --floor-days in 0…365")
        }
        var policy = VaRPolicy()
        policy.floorHorizonDays = floorDays
        let started = ContinuousClock.now
        var days = 0
        var exceptions = 0
        var seedExceptions = 0
        var seedMagnitudeExceptions = 0
        var sequences: [[Bool]] = []
        var seedSequences: [[Bool]] = []
        var measured: [Double] = []
        var seedMeasured: [Double] = []
        var losses: [Double] = []
        var bySize: [Int: (days: Int, exceptions: Int)] = [:]
        for index in 0..<worlds {
            let parameters = WorldParameters(seed: seed + UInt64(index), wallets: wallets, markets: markets, months: months)
            do { try parameters.validate() } catch { throw ValidationError("\(error)") }
            let world = try WorldGenerator.generate(parameters)
            let result = VaRBacktest.run(world, positions: positions, weight: weight, policy: policy)
            days += result.days.count
            exceptions += result.days.filter { $0.loss > $0.mVaR }.count
            seedExceptions += result.days.filter { $0.loss > $0.seed }.count
            seedMagnitudeExceptions += result.days.filter { $0.loss > abs($0.seed) }.count
            sequences += result.runs.map { $0.map { $0.loss > $0.mVaR } }
            seedSequences += result.runs.map { $0.map { $0.loss > abs($0.seed) } }
            measured += result.days.map(\.mVaR)
            seedMeasured += result.days.map(\.seed)
            losses += result.days.map(\.loss)
            for day in result.days {
                let size = min(day.held, 4)
                bySize[size, default: (0, 0)].days += 1
                if day.loss > day.mVaR { bySize[size, default: (0, 0)].exceptions += 1 }
            }
            print(String(
                format: "  world seed %llu: %d days with a book, %d exceptions; mean mVaR %.2f %% of NAV, worst day's loss %.2f %%",
                parameters.seed, result.days.count, result.days.filter { $0.loss > $0.mVaR }.count,
                mean(result.days.map(\.mVaR)) * 100, (result.days.map(\.loss).max() ?? 0) * 100))
        }
        guard days > 0 else { throw ValidationError("no day had a book: more wallets, markets or months") }
        let kupiec = Backtesting.kupiec(observations: days, failures: exceptions, exceedanceProbability: 0.01)
        let independence = Backtesting.christoffersen(sequences)
        let seedKupiec = Backtesting.kupiec(observations: days, failures: seedExceptions, exceedanceProbability: 0.01)
        let magnitudeKupiec = Backtesting.kupiec(observations: days, failures: seedMagnitudeExceptions, exceedanceProbability: 0.01)
        let magnitudeIndependence = Backtesting.christoffersen(seedSequences)
        print("\(worlds) worlds × \(months) months, \(markets) markets, \(wallets) wallets; up to \(positions) positions of \(weight * 100) % of NAV")
        print(String(format: "days with a book %d; mVaR mean %.2f %%, median %.2f %% of NAV; daily loss mean %+.3f %%, worst %.2f %%",
                     days, mean(measured) * 100, Statistics.quantile(measured, 0.5) * 100, mean(losses) * 100, (losses.max() ?? 0) * 100))
        print(String(format: "mVaR (risk guard): %d exceptions, %.1f expected (%.2f %%); Kupiec LR %.3f, p %.3f%@",
                     exceptions, Double(days) * 0.01, Double(exceptions) / Double(days) * 100, kupiec.likelihoodRatio, kupiec.pValue,
                     kupiec.pValue > 0.05 ? " (not rejected at 5 %)" : " (rejected at 5 %)"))
        // A pooled count can pass while concentrated books are under-covered and diversified ones
        // over-covered: the same count by how many positions the book held.
        print("  by positions held: " + bySize.keys.sorted().map { size in
            let (count, failed) = bySize[size]!
            let p = Backtesting.kupiec(observations: count, failures: failed, exceedanceProbability: 0.01).pValue
            return String(format: "%@ %d days, %d exceptions (%.1f expected, p %.2f)", size == 4 ? "4+" : "\(size)", count, failed, Double(count) * 0.01, p)
        }.joined(separator: "; "))
        print(String(format: "  Christoffersen independence: n00 %d, n01 %d, n10 %d, n11 %d; π0 %.4f, π1 %.4f; LR %.3f, p %.3f%@",
                     independence.n00, independence.n01, independence.n10, independence.n11, independence.afterQuiet,
                     independence.afterException.isNaN ? 0 : independence.afterException, independence.likelihoodRatio,
                     independence.pValue, independence.pValue > 0.05 ? " (not rejected)" : " (exceptions cluster)"))
        print(String(format: "seed formula as written (a gain: mean %+.2f %% of NAV): %d exceptions; Kupiec LR %.1f, p %.3g",
                     mean(seedMeasured) * 100, seedExceptions, seedKupiec.likelihoodRatio, seedKupiec.pValue))
        print(String(format: "seed formula's magnitude |seed|: %d exceptions; Kupiec LR %.3f, p %.3g; Christoffersen LR %.3f, p %.3g",
                     seedMagnitudeExceptions, magnitudeKupiec.likelihoodRatio, magnitudeKupiec.pValue,
                     magnitudeIndependence.likelihoodRatio, magnitudeIndependence.pValue))
        let elapsed = ContinuousClock.now - started
        print(String(format: "validated in %.1f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
    }

    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}

/// One world's days: the book's mVaR at each day's start, the seed formula's figure on the same
/// scenarios, and the loss the book took by the next day's start (fractions of NAV).
enum VaRBacktest {
    struct Day {
        var day: Int64
        var mVaR: Double
        var seed: Double
        var loss: Double
        /// Positions the book held that day.
        var held: Int
    }

    static let nav = USDC(micros: 1_000_000 * microsPerUnit)

    static func run(_ world: SimulatedWorld, positions: Int, weight: Double, policy: VaRPolicy = VaRPolicy()) -> (days: [Day], runs: [[Day]]) {
        let dayMillis = EventTime.day
        // Daily closes of every token: its price at each day's start while the market trades.
        var daily = Marks()
        daily.lookbackMillis = Int64(PortfolioCorrelation.closeCarryDays) * dayMillis
        var open: [TokenID: (from: Int64, to: Int64)] = [:]
        var marketOf: [TokenID: SimulatedMarket] = [:]
        for market in world.markets {
            let truth = market.truth
            let first = (truth.startTime * 1000 + dayMillis - 1) / dayMillis
            let last = truth.closedTime * 1000 / dayMillis
            guard first <= last, truth.tokenIds.count == 2 else { continue }
            for (index, token) in truth.tokenIds.enumerated() {
                let points = (first...last).map { day -> PricePoint in
                    let p = market.history.midpoint(at: day * 86_400)
                    return PricePoint(time: EventTime(millis: day * dayMillis), price: Price(micros: Int64(((index == 0 ? p : 1 - p) * 1e6).rounded())))
                }
                daily.series[token] = PriceSeries(token: token, fidelityMinutes: 1440, points: points)
                open[token] = (truth.startTime * 1000, truth.closedTime * 1000)
                marketOf[token] = market
            }
        }
        // What the skilled whales bought (taker buys), by day.
        let skilled = Set(world.wallets.indices.filter { [.skilledWhale, .specialist].contains(world.wallets[$0].truth.style) })
        var buys: [Int64: [(time: Int64, token: TokenID)]] = [:]
        for trade in world.trades where trade.isBuy && !trade.isMaker && skilled.contains(Int(trade.wallet)) {
            let market = world.markets[Int(trade.market)]
            buys[trade.time * 1000 / dayMillis, default: []].append((trade.time, market.truth.tokenIds[Int(trade.outcomeIndex)]))
        }
        var result: [Day] = []
        var runs: [[Day]] = []
        var current: [Day] = []
        let firstDay = world.startTime * 1000 / dayMillis + Int64(VaRPolicy().windowDays) + 1
        let lastDay = world.endTime * 1000 / dayMillis - 1
        guard firstDay < lastDay else { return ([], []) }
        for day in firstDay..<lastDay {
            let start = day * dayMillis
            let recent = (day - 7..<day).flatMap { buys[$0] ?? [] }.sorted { ($0.time, $0.token) > ($1.time, $1.token) }
            var chosen: [(TokenID, Price)] = []
            for (_, token) in recent where !chosen.contains(where: { $0.0 == token }) {
                guard let window = open[token], window.from < start, window.to > start + 2 * dayMillis,
                    let close = daily.mark(of: token, at: EventTime(millis: start))?.price,
                    close.micros >= 20_000, close.micros <= 980_000
                else { continue }
                chosen.append((token, close))
                if chosen.count == positions { break }
            }
            guard !chosen.isEmpty else {
                if !current.isEmpty { runs.append(current) }
                current = []
                continue
            }
            var book = Book(initialCash: nav)
            let value = nav.scaled(partsPerMillion: Int64((weight * 1_000_000).rounded()))
            var next = 0.0
            for (token, close) in chosen {
                let shares = value.shares(at: close)
                let market = marketOf[token]!
                book.positions[token] = BookPosition(
                    asset: token, conditionId: ConditionID(market.truth.conditionId) ?? ConditionID("0x" + String(repeating: "0", count: 64))!,
                    outcomeIndex: market.truth.tokenIds.firstIndex(of: token) ?? 0, shares: shares, cost: shares.value(at: close), mark: close)
                book.cash = book.cash - shares.value(at: close)
                let after = daily.mark(of: token, at: EventTime(millis: start + dayMillis))?.price ?? close
                next += Double(shares.micros) / 1e6 * (after.doubleValue - close.doubleValue)
            }
            // Measured a minute after the day's start: the day's close is in the history.
            let at = EventTime(millis: start + 60_000)
            guard let risk = BookRisk.valueAtRisk(book, at: at, daily: daily, policy: policy),
                let scenarios = BookRisk.scenarios(book, at: at, daily: daily, policy: policy)
            else { continue }
            let seed = scenarios.returns.isEmpty ? 0 : TailRisk.modifiedVaR(scenarios.returns, alpha: 0.99, applyMomentGuard: false)
            let measured = Day(day: day, mVaR: risk.loss, seed: seed, loss: -next * 1e6 / Double(book.nav.micros), held: chosen.count)
            result.append(measured)
            current.append(measured)
        }
        if !current.isEmpty { runs.append(current) }
        return (result, runs)
    }
}
