import Foundation
import RemoraModel
import Hummingbird
import RemoraSimulator
import Synchronization

/// `GET /v1/leaderboard`.
///
/// Over the period `(now − span, now]` (all of history for ALL):
/// - `vol` is the USDC of the wallet's trades in the period (every role);
/// - `pnl` is its cash flow in the period (sales in, purchases out) plus the payouts of the
///   markets that resolved in the period, plus the change in mark-to-market value of its open
///   positions (marked at the first token's midpoint) from the start of the period to now.
/// Over ALL this is the wallet's whole profit, realized and unrealized, fees aside.
/// A category keeps only the trades and positions in markets of that category.
extension APIStub {
    /// The leaderboard's categories and the market categories each one covers.
    static let leaderboardCategories: [String: String?] = [
        "OVERALL": nil, "POLITICS": MarketCategory.politics, "SPORTS": MarketCategory.sports, "CRYPTO": MarketCategory.crypto,
        "CULTURE": MarketCategory.popCulture, "ECONOMICS": MarketCategory.economics, "TECH": MarketCategory.other,
        "FINANCE": MarketCategory.other, "WEATHER": MarketCategory.other, "MENTIONS": MarketCategory.other,
        "OTHER": MarketCategory.other,
    ]

    static let leaderboardPeriods: [String: Int64?] = [
        "DAY": 86_400, "WEEK": 7 * 86_400, "MONTH": 30 * 86_400, "ALL": nil,
    ]

    func leaderboard(_ query: Query, pageShift: Int, now: Int64) throws -> Response {
        let category = try query.choice("category", in: Self.leaderboardCategories.keys.sorted()) ?? "OVERALL"
        let period = try query.choice("timePeriod", in: ["DAY", "WEEK", "MONTH", "ALL"]) ?? "DAY"
        let orderBy = try query.choice("orderBy", in: ["PNL", "VOL"]) ?? "PNL"
        let limit = try query.limit(default: 25, maximum: 50)
        let offset = max(0, try query.offset(cap: 1_000, message: "offset must be at most 1000") - pageShift)
        let user = query.string("user")?.lowercased()

        let span = Self.leaderboardPeriods[period]!
        let entries = leaderboardCache.entries(key: "\(category)|\(period)", now: now) {
            world.leaderboardEntries(
                category: Self.leaderboardCategories[category]!, periodStart: span.map { now - $0 }, now: now)
        }
        let addresses = world.wallets.addresses
        let ranked = entries.sorted { a, b in
            let (ka, kb) = orderBy == "VOL" ? ((a.vol, a.pnl), (b.vol, b.pnl)) : ((a.pnl, a.vol), (b.pnl, b.vol))
            return ka != kb ? ka > kb : addresses[a.wallet] < addresses[b.wallet]
        }
        var selected = Array(ranked.enumerated())
        if let user { selected = selected.filter { addresses[$0.element.wallet] == user } }

        var writer = JSONWriter()
        writer.beginArray()
        for (position, entry) in page(selected, offset: offset, limit: limit) {
            let profile = profileFields(wallet: entry.wallet)
            writer.beginObject()
            writer.field("rank", String(position + 1))
            writer.field("proxyWallet", addresses[entry.wallet])
            writer.field("userName", profile.name.isEmpty ? profile.pseudonym : profile.name)
            writer.field("xUsername", "")
            writer.field("verifiedBadge", false)
            writer.field("vol", roundTo(entry.vol, places: 6))
            writer.field("pnl", roundTo(entry.pnl, places: 6))
            writer.field("profileImage", profile.profileImage)
            writer.endObject()
        }
        writer.endArray()
        return .json(writer.bytes)
    }
}

struct LeaderboardEntry: Sendable {
    let wallet: Int
    let vol: Double
    let pnl: Double
}

/// The last computation per (category, period): one pass over every trade is worth keeping
/// while "now" stands still (the default) or moves slowly.
final class LeaderboardCache: Sendable {
    private let slots = Mutex<[String: (now: Int64, entries: [LeaderboardEntry])]>([:])

    func entries(key: String, now: Int64, compute: () -> [LeaderboardEntry]) -> [LeaderboardEntry] {
        if let hit = slots.withLock({ $0[key] }), hit.now == now { return hit.entries }
        let entries = compute()
        slots.withLock { $0[key] = (now, entries) }
        return entries
    }
}

extension StubWorld {
    /// Every wallet with volume or P&L in the period; see the leaderboard's definition above.
    func leaderboardEntries(category: String?, periodStart: Int64?, now: Int64) -> [LeaderboardEntry] {
        let included = markets.map { category == nil || $0.truth.category == category }
        let start = periodStart ?? Int64.min
        var cash = [Double](repeating: 0, count: wallets.addresses.count)
        var volume = cash
        var markAtStart = cash
        var markNow = cash
        // Shares held per market: wallet → (first outcome, second outcome).
        var holdings = [[Int32: (Double, Double)]](repeating: [:], count: markets.count)
        let resolutions = markets.indices
            .filter { included[$0] && markets[$0].truth.resolvedAt <= now }
            .sorted { (markets[$0].truth.resolvedAt, $0) < (markets[$1].truth.resolvedAt, $1) }

        var marked = periodStart == nil
        func markStart() {
            marked = true
            for market in markets.indices where included[market] {
                let midpoint = markets[market].midpoint(at: start)
                for (wallet, shares) in holdings[market] {
                    markAtStart[Int(wallet)] += shares.0 * midpoint + shares.1 * (1 - midpoint)
                }
            }
        }
        func resolve(_ market: Int) {
            let time = markets[market].truth.resolvedAt
            if !marked, time > start { markStart() }
            if time > start {
                let first = markets[market].payout(outcome: 0)
                let second = markets[market].payout(outcome: 1)
                for (wallet, shares) in holdings[market] {
                    cash[Int(wallet)] += shares.0 * first + shares.1 * second
                }
            }
            holdings[market] = [:]
        }

        var nextResolution = 0
        for t in 0..<trades.visibleCount(at: now) {
            let market = Int(trades.market[t])
            guard included[market] else { continue }
            let time = trades.timestamp[t]
            while nextResolution < resolutions.count, markets[resolutions[nextResolution]].truth.resolvedAt < time {
                resolve(resolutions[nextResolution])
                nextResolution += 1
            }
            if !marked, time > start { markStart() }
            let wallet = trades.wallet[t]
            let size = trades.size[t]
            var shares = holdings[market][wallet] ?? (0, 0)
            let delta = trades.isBuy[t] ? size : -size
            if trades.outcome[t] == 0 { shares.0 = max(0, shares.0 + delta) } else { shares.1 = max(0, shares.1 + delta) }
            holdings[market][wallet] = shares
            if time > start {
                let notional = trades.notional(t)
                volume[Int(wallet)] += notional
                cash[Int(wallet)] += trades.isBuy[t] ? -notional : notional
            }
        }
        while nextResolution < resolutions.count {
            resolve(resolutions[nextResolution])
            nextResolution += 1
        }
        if !marked { markStart() }
        for market in markets.indices where included[market] {
            let midpoint = markets[market].midpoint(at: now)
            for (wallet, shares) in holdings[market] {
                markNow[Int(wallet)] += shares.0 * midpoint + shares.1 * (1 - midpoint)
            }
        }
        var entries: [LeaderboardEntry] = []
        for wallet in cash.indices {
            let pnl = cash[wallet] + markNow[wallet] - markAtStart[wallet]
            if volume[wallet] > 0 || abs(pnl) > 1e-9 {
                entries.append(LeaderboardEntry(wallet: wallet, vol: volume[wallet], pnl: pnl))
            }
        }
        return entries
    }
}
