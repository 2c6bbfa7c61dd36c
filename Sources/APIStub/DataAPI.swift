import Foundation
import Hummingbird
import RemoraSimulator

/// Data API: `/trades`, `/activity`, `/positions` (the leaderboard is in Leaderboard.swift).
extension APIStub {
    /// `GET /trades`: raw rows, newest first (ties: the later file line first).
    func trades(_ query: Query, pageShift: Int, now: Int64) throws -> Response {
        let limit = try query.limit(default: 100, maximum: 10_000)
        let offset = max(0, try query.offset(cap: options.offsetCap) - pageShift)
        let side = try query.choice("side", in: ["BUY", "SELL"])
        let takerOnly = try query.bool("takerOnly") ?? true
        let filterType = try query.choice("filterType", in: ["CASH", "TOKENS"])
        let filterAmount = try query.number("filterAmount")
        if (filterType == nil) != (filterAmount == nil) {
            throw StubError.badRequest("filterType and filterAmount must be given together")
        }
        var marketFilter: Set<Int>? = nil
        let conditionIds = query.list("market")
        if !conditionIds.isEmpty {
            marketFilter = Set(conditionIds.compactMap { world.marketByCondition[$0.lowercased()] ?? world.marketByCondition[$0] })
        }
        if let eventId = query.string("eventId") {
            let eventMarkets = Set(world.eventById[eventId].map { world.events[$0].markets } ?? [])
            marketFilter = marketFilter.map { $0.intersection(eventMarkets) } ?? eventMarkets
        }

        let table = world.trades
        let visible = table.visibleCount(at: now)
        // Candidates newest first, from the narrowest index; nil: every visible trade.
        var candidates: [Int32]? = nil
        if let user = query.string("user") {
            guard let wallet = world.wallets.index(of: user) else { return .emptyList }
            candidates = Array(world.visibleTrades(ofWallet: wallet, at: now).reversed())
        } else if let marketFilter {
            var merged: [Int32] = []
            for market in marketFilter {
                let list = world.markets[market].tradeIndexes
                merged += list[..<upperBound(list.count, Int32(visible - 1)) { list[$0] }]
            }
            candidates = merged.sorted(by: >)
        }

        func accepts(_ t: Int) -> Bool {
            if takerOnly, table.isMaker[t] { return false }
            if let side, table.isBuy[t] != (side == "BUY") { return false }
            if let marketFilter, !marketFilter.contains(Int(table.market[t])) { return false }
            if let filterType, let filterAmount {
                let amount = filterType == "CASH" ? table.notional(t) : table.size[t]
                if amount < filterAmount { return false }
            }
            return true
        }

        var writer = JSONWriter(capacity: min(limit, 1_000) * 700)
        writer.beginArray()
        var skipped = 0
        var taken = 0
        func consider(_ t: Int) -> Bool {
            guard accepts(t) else { return true }
            if skipped < offset {
                skipped += 1
                return true
            }
            var row: [UInt8] = []
            table.appendRow(t, to: &row)
            writer.raw(row)
            taken += 1
            return taken < limit
        }
        if limit > 0 {
            if let candidates {
                for trade in candidates where !consider(Int(trade)) { break }
            } else {
                var t = visible - 1
                while t >= 0, consider(t) { t -= 1 }
            }
        }
        writer.endArray()
        return .json(writer.bytes)
    }

    /// `GET /activity?user=`: the wallet's TRADE rows (every role), a REDEEM row per market it
    /// held at resolution, and a CONVERSION row per negative-risk conversion.
    func activity(_ query: Query, pageShift: Int, now: Int64) throws -> Response {
        let user = try query.required("user")
        let limit = try query.limit(default: 100, maximum: 500)
        let offset = max(0, try query.offset(cap: options.offsetCap) - pageShift)
        let start = try query.integer("start")
        let end = try query.integer("end")
        let side = try query.choice("side", in: ["BUY", "SELL"])
        let sortBy = try query.choice("sortBy", in: ["TIMESTAMP", "TOKENS", "CASH"]) ?? "TIMESTAMP"
        let ascending = try query.choice("sortDirection", in: ["ASC", "DESC"]) == "ASC"
        let knownTypes = ["TRADE", "SPLIT", "MERGE", "REDEEM", "REWARD", "CONVERSION", "MAKER_REBATE"]
        let types = Set(query.list("type").map { $0.uppercased() })
        if let unknown = types.first(where: { !knownTypes.contains($0) }) {
            throw StubError.badRequest("invalid 'type': \(unknown)")
        }
        let conditionIds = Set(query.list("market").map { $0.lowercased() })
        guard let wallet = world.wallets.index(of: user) else { return .emptyList }

        enum Item {
            case trade(Int)
            case redeem(Redemption)
            case conversion(StubConversion)
        }
        struct Row {
            let item: Item
            let timestamp: Int64
            let size: Double
            let cash: Double
            /// Ties on the sort key: file order for trades, redemptions after the trades.
            let sequence: Int
        }
        let table = world.trades
        func wanted(_ type: String, _ market: Int, _ time: Int64) -> Bool {
            if !types.isEmpty, !types.contains(type) { return false }
            if !conditionIds.isEmpty, !conditionIds.contains(world.markets[market].conditionId.lowercased()) { return false }
            if let start, time < start { return false }
            if let end, time > end { return false }
            return true
        }
        var rows: [Row] = []
        for trade in types.isEmpty || types.contains("TRADE") ? world.visibleTrades(ofWallet: wallet, at: now) : [] {
            let t = Int(trade)
            guard wanted("TRADE", Int(table.market[t]), table.timestamp[t]) else { continue }
            if let side, table.isBuy[t] != (side == "BUY") { continue }
            rows.append(Row(item: .trade(t), timestamp: table.timestamp[t], size: table.size[t], cash: table.notional(t), sequence: t))
        }
        // The book replays the wallet's fills: only when REDEEM rows are asked for.
        if side == nil, types.isEmpty || types.contains("REDEEM") {
            for redemption in world.book(ofWallet: wallet, at: now).redemptions
            where wanted("REDEEM", redemption.market, redemption.time) {
                rows.append(
                    Row(
                        item: .redeem(redemption), timestamp: redemption.time, size: redemption.shares,
                        cash: redemption.payout, sequence: table.count + redemption.market))
            }
        }
        if side == nil {
            for (k, conversion) in world.conversions[wallet].enumerated()
            where conversion.time <= now && wanted("CONVERSION", conversion.market, conversion.time) {
                rows.append(
                    Row(
                        item: .conversion(conversion), timestamp: conversion.time, size: conversion.shares, cash: 0,
                        sequence: 2 * table.count + k))
            }
        }
        rows.sort { a, b in
            let (x, y) = ascending ? (a, b) : (b, a)
            switch sortBy {
            case "TOKENS": return (x.size, x.timestamp, x.sequence) < (y.size, y.timestamp, y.sequence)
            case "CASH": return (x.cash, x.timestamp, x.sequence) < (y.cash, y.timestamp, y.sequence)
            default: return (x.timestamp, x.sequence) < (y.timestamp, y.sequence)
            }
        }

        let profile = profileFields(wallet: wallet)
        var writer = JSONWriter(capacity: 800 * min(limit, rows.count))
        writer.beginArray()
        for row in page(rows, offset: offset, limit: limit) {
            switch row.item {
            case .trade(let t):
                var raw: [UInt8] = []
                table.appendRow(t, to: &raw)
                let usdc = JSONWriter.format(roundTo(row.cash, places: 6))
                writer.rawObject(prefixing: "\"type\":\"TRADE\",\"usdcSize\":\(usdc)", row: raw)
            case .redeem(let redemption):
                writeRedeem(redemption, wallet: wallet, profile: profile, to: &writer)
            case .conversion(let conversion):
                writeConversion(conversion, wallet: wallet, profile: profile, to: &writer)
            }
        }
        writer.endArray()
        return .json(writer.bytes)
    }

    /// A REDEEM row with the capture's keys and order: empty asset and side, outcomeIndex 999,
    /// price 0.
    private func writeRedeem(_ redemption: Redemption, wallet: Int, profile: WalletProfile, to writer: inout JSONWriter) {
        let market = world.markets[redemption.market]
        let address = world.wallets.addresses[wallet]
        writer.beginObject()
        writer.field("proxyWallet", address)
        writer.field("timestamp", redemption.time)
        writer.field("conditionId", market.conditionId)
        writer.field("type", "REDEEM")
        writer.field("size", roundTo(redemption.shares, places: 6))
        writer.field("usdcSize", roundTo(redemption.payout, places: 6))
        writer.field("transactionHash", "0x" + stableHex("redeem \(address) \(market.conditionId)", digits: 64))
        writer.field("price", 0.0)
        writer.field("asset", "")
        writer.field("side", "")
        writer.field("outcomeIndex", Int64(999))
        writer.field("title", market.question)
        writer.field("slug", market.slug)
        writer.field("icon", market.icon)
        writer.field("eventSlug", market.eventSlug)
        writer.field("outcome", "")
        writer.field("name", profile.name)
        writer.field("pseudonym", profile.pseudonym)
        writer.field("bio", profile.bio)
        writer.field("profileImage", profile.profileImage)
        writer.field("profileImageOptimized", profile.profileImageOptimized)
        writer.endObject()
    }

    /// A CONVERSION row: the capture has none, so its shape is the MERGE row's with the converted
    /// "No" token as `asset` (outcomeIndex 1): the shares that left the wallet. No USDC (a
    /// conversion of one market's "No" pays none).
    private func writeConversion(_ conversion: StubConversion, wallet: Int, profile: WalletProfile, to writer: inout JSONWriter) {
        let market = world.markets[conversion.market]
        writer.beginObject()
        writer.field("proxyWallet", world.wallets.addresses[wallet])
        writer.field("timestamp", conversion.time)
        writer.field("conditionId", market.conditionId)
        writer.field("type", "CONVERSION")
        writer.field("size", roundTo(conversion.shares, places: 6))
        writer.field("usdcSize", 0.0)
        writer.field("transactionHash", conversion.transactionHash)
        writer.field("price", 0.0)
        writer.field("asset", market.truth.tokenIds[1])
        writer.field("side", "")
        writer.field("outcomeIndex", Int64(1))
        writer.field("title", market.question)
        writer.field("slug", market.slug)
        writer.field("icon", market.icon)
        writer.field("eventSlug", market.eventSlug)
        writer.field("outcome", market.outcomes.count > 1 ? market.outcomes[1] : "No")
        writer.field("name", profile.name)
        writer.field("pseudonym", profile.pseudonym)
        writer.field("bio", profile.bio)
        writer.field("profileImage", profile.profileImage)
        writer.field("profileImageOptimized", profile.profileImageOptimized)
        writer.endObject()
    }

    /// `GET /positions?user=`: open positions at now with average-cost accounting.
    func positions(_ query: Query, pageShift: Int, now: Int64) throws -> Response {
        let user = try query.required("user")
        let limit = try query.limit(default: 100, maximum: 500)
        let offset = max(0, try query.offset(cap: options.offsetCap) - pageShift)
        let sizeThreshold = try query.number("sizeThreshold") ?? 1
        let sortKeys = ["TOKENS", "CURRENT", "INITIAL", "CASHPNL", "PERCENTPNL", "TITLE", "PRICE", "AVGPRICE"]
        let sortBy = try query.choice("sortBy", in: sortKeys) ?? "TOKENS"
        let ascending = try query.choice("sortDirection", in: ["ASC", "DESC"]) == "ASC"
        let redeemable = try query.bool("redeemable")
        let mergeable = try query.bool("mergeable")
        let title = query.string("title")?.lowercased()
        let conditionIds = Set(query.list("market").map { $0.lowercased() })
        guard let wallet = world.wallets.index(of: user) else { return .emptyList }

        let book = world.book(ofWallet: wallet, at: now)
        var rows: [PositionRow] = []
        for (key, holding) in book.holdings where holding.size > 0 && holding.size >= sizeThreshold {
            let market = world.markets[key / 2]
            let outcome = key % 2
            if !conditionIds.isEmpty, !conditionIds.contains(market.conditionId.lowercased()) { continue }
            if let title, !market.question.lowercased().contains(title) { continue }
            let opposite = book.holdings[(key / 2) * 2 + 1 - outcome]?.size ?? 0
            let row = PositionRow(
                market: market, outcome: outcome, holding: holding,
                currentPrice: world.outcomePrices(market, at: now)[outcome], mergeable: opposite > 0)
            if let mergeable, row.mergeable != mergeable { continue }
            // Positions are redeemed the moment their market resolves, so none is ever left
            // redeemable.
            if redeemable == true { continue }
            rows.append(row)
        }
        rows.sort { a, b in
            let (x, y) = ascending ? (a, b) : (b, a)
            let tie = (x.market.conditionId, x.outcome) < (y.market.conditionId, y.outcome)
            func by(_ u: Double, _ v: Double) -> Bool { u != v ? u < v : tie }
            switch sortBy {
            case "CURRENT": return by(x.currentValue, y.currentValue)
            case "INITIAL": return by(x.initialValue, y.initialValue)
            case "CASHPNL": return by(x.cashPnl, y.cashPnl)
            case "PERCENTPNL": return by(x.percentPnl, y.percentPnl)
            case "PRICE": return by(x.currentPrice, y.currentPrice)
            case "AVGPRICE": return by(x.holding.averagePrice, y.holding.averagePrice)
            case "TITLE": return x.market.question != y.market.question ? x.market.question < y.market.question : tie
            default: return by(x.holding.size, y.holding.size)
            }
        }
        let address = world.wallets.addresses[wallet]
        var writer = JSONWriter()
        writer.beginArray()
        for row in page(rows, offset: offset, limit: limit) {
            row.write(wallet: address, to: &writer)
        }
        writer.endArray()
        return .json(writer.bytes)
    }

    /// Name, pseudonym, bio and images of a wallet, from its first trade row.
    func profileFields(wallet: Int) -> WalletProfile {
        guard let first = world.wallets.tradeIndexes[wallet].first else { return WalletProfile() }
        let row = world.trades.parsedRow(Int(first))
        return WalletProfile(
            name: row["name"] as? String ?? "", pseudonym: row["pseudonym"] as? String ?? "",
            bio: row["bio"] as? String ?? "", profileImage: row["profileImage"] as? String ?? "",
            profileImageOptimized: row["profileImageOptimized"] as? String ?? "")
    }
}

struct WalletProfile {
    var name = ""
    var pseudonym = ""
    var bio = ""
    var profileImage = ""
    var profileImageOptimized = ""
}

/// One `/positions` row.
struct PositionRow {
    let market: StubMarket
    let outcome: Int
    let holding: Holding
    let currentPrice: Double
    let mergeable: Bool

    var initialValue: Double { holding.cost }
    var currentValue: Double { holding.size * currentPrice }
    var cashPnl: Double { currentValue - initialValue }
    var percentPnl: Double { initialValue > 0 ? cashPnl / initialValue * 100 : 0 }

    func write(wallet: String, to writer: inout JSONWriter) {
        let opposite = 1 - outcome
        writer.beginObject()
        writer.field("proxyWallet", wallet)
        writer.field("asset", market.truth.tokenIds[outcome])
        writer.field("conditionId", market.conditionId)
        writer.field("size", roundTo(holding.size, places: 6))
        writer.field("avgPrice", roundTo(holding.averagePrice, places: 6))
        writer.field("initialValue", roundTo(initialValue, places: 6))
        writer.field("currentValue", roundTo(currentValue, places: 6))
        writer.field("cashPnl", roundTo(cashPnl, places: 6))
        writer.field("percentPnl", roundTo(percentPnl, places: 4))
        writer.field("totalBought", roundTo(holding.bought, places: 6))
        writer.field("realizedPnl", roundTo(holding.realized, places: 6))
        writer.field("curPrice", currentPrice)
        writer.field("redeemable", false)
        writer.field("mergeable", mergeable)
        writer.field("title", market.question)
        writer.field("slug", market.slug)
        writer.field("icon", market.icon)
        writer.field("eventId", market.eventId ?? "")
        writer.field("eventSlug", market.eventSlug)
        writer.field("outcome", outcome < market.outcomes.count ? market.outcomes[outcome] : "")
        writer.field("outcomeIndex", Int64(outcome))
        writer.field("oppositeOutcome", opposite < market.outcomes.count ? market.outcomes[opposite] : "")
        writer.field("oppositeAsset", market.truth.tokenIds.count > opposite ? market.truth.tokenIds[opposite] : "")
        writer.field("endDate", String(market.endDate.prefix(10)))
        writer.field("negativeRisk", market.negRisk)
        writer.endObject()
    }
}
