import Foundation
import RemoraModel

/// The six categories, with their share of markets, lifetime range (days), usual tick and the
/// taker fee rate they carry once fees are on (from 2026).
struct CategoryProfile {
    var name: String
    var share: Double
    var lifetimeDays: ClosedRange<Double>
    var feeRate: Double
    var multiOutcomeShare: Double

    static let all: [CategoryProfile] = [
        CategoryProfile(name: MarketCategory.politics, share: 0.25, lifetimeDays: 20...300, feeRate: 0.04, multiOutcomeShare: 0.35),
        CategoryProfile(name: MarketCategory.crypto, share: 0.20, lifetimeDays: 1...30, feeRate: 0.07, multiOutcomeShare: 0.25),
        CategoryProfile(name: MarketCategory.sports, share: 0.30, lifetimeDays: 1...10, feeRate: 0.03, multiOutcomeShare: 0.15),
        CategoryProfile(name: MarketCategory.popCulture, share: 0.10, lifetimeDays: 7...90, feeRate: 0.05, multiOutcomeShare: 0.2),
        CategoryProfile(name: MarketCategory.economics, share: 0.10, lifetimeDays: 14...120, feeRate: 0.05, multiOutcomeShare: 0.3),
        CategoryProfile(name: MarketCategory.other, share: 0.05, lifetimeDays: 7...180, feeRate: 0.04, multiOutcomeShare: 0.1),
    ]

    static func pick(_ rng: inout SplitMix64) -> Int {
        var u = rng.nextDouble()
        for (i, c) in all.enumerated() {
            u -= c.share
            if u < 0 { return i }
        }
        return all.count - 1
    }
}

/// Fees start on this date: earlier markets charge none, as on Polymarket before 2026.
let feesStart = unixTime(year: 2026, month: 1, day: 1)

/// Markets with their descriptions, timelines and hidden outcomes (paths come later).
struct MarketDraft {
    var truth: MarketTruth
    var question: String
    var slug: String
    var description: String
    var icon: String
    var questionId: String
    var endDate: Int64
    var event: SimulatedEvent
    var groupItemTitle: String
    var negRisk: Bool
    /// The latent outcome the truth path converges to (a void market still has one).
    var latentYes: Bool
    var mispricing: Double
    var lagNodes: Int
}

enum MarketGenerator {
    static func drafts(_ p: WorldParameters) -> [MarketDraft] {
        var rng = SplitMix64(seed: p.seed, stream: 1, index: 0)
        let start = p.startTime
        let end = p.endTime
        var drafts: [MarketDraft] = []
        drafts.reserveCapacity(p.markets)
        var eventNumber = 0
        while drafts.count < p.markets {
            let c = CategoryProfile.pick(&rng)
            let profile = CategoryProfile.all[c]
            let remaining = p.markets - drafts.count
            let members = remaining >= 3 && rng.chance(profile.multiOutcomeShare) ? min(remaining, rng.nextInt(in: 3...6)) : 1
            eventNumber += 1
            // Lifetime log-uniform in the category's range; opening uniform over the world
            // (some open before it: those markets are already trading on day one).
            let lo = log(profile.lifetimeDays.lowerBound)
            let hi = log(profile.lifetimeDays.upperBound)
            let lifetime = Int64(exp(lo + (hi - lo) * rng.nextDouble()) * 86_400)
            let opened = start - lifetime / 5 + Int64(rng.nextDouble() * Double(end - start))
            let closed = opened + lifetime
            let nominalEnd = closed + Int64((rng.nextDouble() * 2 - 0.5) * 86_400)
            let subject = Subjects.subject(category: profile.name, &rng)
            let eventSlug = Subjects.slug(subject.eventTitle) + "-\(eventNumber)"
            let negRisk = members > 1
            let event = SimulatedEvent(
                id: String(10_000 + eventNumber), slug: eventSlug, title: subject.eventTitle,
                negRiskMarketId: negRisk ? "0x" + rng.nextHex(digits: 64) : nil)
            // Mutually exclusive members: initial probabilities sum to 1, one winner.
            var weights = (0..<members).map { _ in exp(1.2 * rng.nextGaussian()) }
            let total = weights.reduce(0, +)
            weights = weights.map { $0 / total }
            var winner = 0
            var u = rng.nextDouble()
            for (i, w) in weights.enumerated() {
                u -= w
                if u < 0 { winner = i; break }
                winner = i
            }
            let tick = pickTick(&rng)
            let liquidity = rng.nextLogNormal(median: 15_000, sigma: 1.4)
            let feeRate = opened >= feesStart && rng.chance(0.6) ? profile.feeRate : 0
            for member in 0..<members {
                let initial = members > 1 ? min(0.97, max(0.02, weights[member])) : 1 / (1 + exp(-1.4 * rng.nextGaussian()))
                let latentYes = members > 1 ? member == winner : rng.chance(initial)
                let void = rng.chance(0.01)
                // Oracle: proposal 1–4 h after close; 3 % disputed (2–7 days), then resolved.
                let proposed = closed + 3_600 + Int64(rng.nextDouble() * 3 * 3_600)
                var dispute: DisputeWindow?
                var resolved = proposed + 2 * 3_600
                if rng.chance(0.03) {
                    let from = proposed + 3_600
                    let to = from + Int64((2 + 5 * rng.nextDouble()) * 86_400)
                    dispute = DisputeWindow(from: from, to: to)
                    resolved = to + 2 * 3_600
                }
                let index = drafts.count
                let question = members > 1 ? subject.member(member) : subject.question
                let spreadTicks = spread(tick: tick, liquidity: liquidity, &rng)
                let truth = MarketTruth(
                    conditionId: "0x" + rng.nextHex(digits: 64), gammaId: String(500_000 + index * 7 + Int(rng.next() % 7)),
                    category: profile.name, tokenIds: [rng.nextTokenId(), rng.nextTokenId()],
                    initialProbability: initial, outcome: void ? .void : (latentYes ? .yes : .no), startTime: opened,
                    closedTime: closed, proposedAt: proposed, dispute: dispute, resolvedAt: resolved, tick: tick,
                    minOrderSize: [5, 5, 5, 1, 15][rng.nextInt(in: 0...4)], takerFeeRate: feeRate,
                    liquidity: (liquidity * 100).rounded() / 100, spreadTicks: spreadTicks)
                drafts.append(MarketDraft(
                    truth: truth, question: question, slug: Subjects.slug(question) + "-\(index + 1)",
                    description: "\(question) This market will resolve to \"Yes\" if it happens by \(MarketTimeline.isoDate(nominalEnd)). Otherwise, this market will resolve to \"No\". If the outcome cannot be determined, this market will resolve 50-50.",
                    icon: "https://polymarket-upload.s3.us-east-2.amazonaws.com/\(eventSlug).png",
                    questionId: "0x" + rng.nextHex(digits: 64), endDate: nominalEnd, event: event,
                    groupItemTitle: members > 1 ? subject.memberTitle(member) : "", negRisk: negRisk, latentYes: latentYes,
                    mispricing: min(0.85, max(0.14, 0.44 * pow(15_000 / liquidity, 0.15))),
                    lagNodes: rng.nextInt(in: 0...2)))
            }
        }
        return drafts
    }

    /// The market's own tick between 0.04 and 0.96: 0.01 or 0.001 about half and half, as in the
    /// Gamma capture's mid-priced markets (outside that band every market is on 0.001: see
    /// ``OrderBookModel/tick(market:price:)``).
    static func pickTick(_ rng: inout SplitMix64) -> Double {
        rng.chance(0.55) ? 0.01 : 0.001
    }

    /// The usual spread in ticks: log-normal around 1.4 ticks (so mostly one tick, a quarter two
    /// or more, a tenth three or more: the capture's 1 / 2 / 3 at p50 / p75 / p90 among long
    /// shots), wider in thin markets, never more than 20 cents.
    static func spread(tick: Double, liquidity: Double, _ rng: inout SplitMix64) -> Int {
        let ticks = 1.4 * pow(15_000 / liquidity, 0.2) * rng.nextLogNormal(median: 1, sigma: 0.5)
        return max(1, min(Int(ticks.rounded()), Int(0.2 / tick)))
    }
}

/// Question templates by category, so titles and slugs look like Polymarket's.
enum Subjects {
    struct Subject {
        var eventTitle: String
        var question: String
        var names: [String]
        var template: (String) -> String
        func member(_ i: Int) -> String { template(names[i % names.count] + (i >= names.count ? " \(i)" : "")) }
        func memberTitle(_ i: Int) -> String { names[i % names.count] + (i >= names.count ? " \(i)" : "") }
    }

    static let people = ["Alvarez", "Becker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Kowalski", "Laurent", "Moreau", "Novak", "Okafor", "Patel"]
    static let places = ["Ohio", "Texas", "Bavaria", "Ontario", "Victoria", "Lyon", "Nevada", "Kyoto", "Porto", "Oslo"]
    static let teams = ["Lions", "Falcons", "Rovers", "United", "Wolves", "Sharks", "Rangers", "Comets", "Titans", "Pirates", "Giants", "Eagles"]
    static let coins = ["Bitcoin", "Ethereum", "Solana", "XRP", "Dogecoin", "Cardano"]
    static let films = ["Starfall", "The Last Harbor", "Neon Valley", "Ironwood", "Paper Moons", "Glass Tide"]
    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    static func subject(category: String, _ rng: inout SplitMix64) -> Subject {
        func any(_ list: [String]) -> String { list[Int(rng.next() % UInt64(list.count))] }
        switch category {
        case "politics":
            let place = any(places)
            let year = 2025 + Int(rng.next() % 3)
            let names = people.shuffled(using: &rng)
            return Subject(
                eventTitle: "\(place) governor election \(year)", question: "Will \(names[0]) win the \(year) \(place) governor race?",
                names: names, template: { "Will \($0) win the \(year) \(place) governor race?" })
        case "crypto":
            let coin = any(coins)
            let level = [50, 80, 100, 120, 150, 200, 250][Int(rng.next() % 7)] * (coin == "Bitcoin" ? 1000 : coin == "Ethereum" ? 30 : 1)
            let month = any(months)
            let bands = ["below \(level)", "\(level)–\(level * 11 / 10)", "\(level * 11 / 10)–\(level * 12 / 10)", "above \(level * 12 / 10)", "\(level * 12 / 10)–\(level * 13 / 10)", "above \(level * 13 / 10)"]
            return Subject(
                eventTitle: "\(coin) price on \(month) 1", question: "Will the price of \(coin) be above $\(level) on \(month) 1?",
                names: bands, template: { "Will the price of \(coin) be \($0) on \(month) 1?" })
        case "sports":
            let home = any(teams)
            var away = any(teams)
            if away == home { away = "City " + away }
            let day = 1 + Int(rng.next() % 28)
            return Subject(
                eventTitle: "\(home) vs. \(away) day \(day)", question: "Will the \(home) beat the \(away) on day \(day)?",
                names: [home, away, "Draw", "Overtime", "Forfeit", "Abandoned"], template: { "Will \($0) win \(home) vs. \(away) on day \(day)?" })
        case "pop-culture":
            let film = any(films)
            let gross = [20, 40, 60, 80, 100][Int(rng.next() % 5)]
            return Subject(
                eventTitle: "\(film) opening weekend", question: "Will \(film) gross over $\(gross)M on its opening weekend?",
                names: ["under $\(gross)M", "$\(gross)–\(gross + 20)M", "$\(gross + 20)–\(gross + 40)M", "over $\(gross + 40)M", "over $\(gross + 60)M", "over $\(gross + 80)M"],
                template: { "Will \(film) gross \($0) on its opening weekend?" })
        case "economics":
            let month = any(months)
            return Subject(
                eventTitle: "Fed decision in \(month)", question: "Will the Fed cut rates in \(month)?",
                names: ["no change", "25 bps cut", "50+ bps cut", "25 bps hike", "50+ bps hike", "emergency cut"],
                template: { "Will the Fed decision in \(month) be \($0)?" })
        default:
            let place = any(places)
            return Subject(
                eventTitle: "\(place) weather records", question: "Will \(place) record its hottest day this year?",
                names: ["January", "March", "July", "August", "October", "December"],
                template: { "Will \(place) record its hottest day in \($0)?" })
        }
    }

    /// Lowercase words joined by dashes, as Polymarket slugs are.
    static func slug(_ text: String) -> String {
        var out = ""
        var dash = false
        for scalar in text.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                if dash && !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(scalar)
                dash = false
            } else {
                dash = true
            }
        }
        return out
    }
}
