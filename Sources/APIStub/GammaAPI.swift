import Foundation
import Hummingbird
import RemoraSimulator

/// Gamma API: `/markets`, `/markets/{id}`, `/markets/slug/{slug}`, `/markets/keyset`, `/events`.
extension APIStub {
    static let gammaDefaultLimit = 100
    static let gammaMaximumLimit = 500
    static let keysetMaximumLimit = 100
    static let maximumConditionIds = 100

    /// `GET /markets`: visible markets (opened by now) filtered, ordered and paged by offset.
    func gammaMarkets(_ query: Query, pageShift: Int, now: Int64) throws -> Response {
        let limit = try query.limit(default: Self.gammaDefaultLimit, maximum: Self.gammaMaximumLimit)
        let offset = max(0, try query.offset(cap: Int.max) - pageShift)
        let selected = try selectMarkets(query, now: now)
        return .json(object: page(selected, offset: offset, limit: limit).map { world.gammaObject(world.markets[$0], at: now) })
    }

    /// `GET /markets/keyset`: the same filters, ordered by id, `limit` ≤ 100, paged by an opaque
    /// `after_cursor` (the last id served). Answers `{"markets": […], "next_cursor": "…"}`;
    /// `next_cursor` is absent on the last page. `offset` is refused, as on Gamma.
    func gammaMarketsKeyset(_ query: Query, now: Int64) throws -> Response {
        if query.string("offset") != nil { throw StubError.badRequest("offset is not supported by keyset pagination; use after_cursor") }
        if query.string("order") != nil { throw StubError.badRequest("order is not supported by keyset pagination") }
        let limit = try query.limit(default: Self.keysetMaximumLimit, maximum: Self.keysetMaximumLimit)
        var selected = try selectMarkets(query, now: now)
        if let cursor = query.string("after_cursor") {
            guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8),
                text.hasPrefix("id:")
            else { throw StubError.badRequest("invalid after_cursor") }
            let last = GammaId(String(text.dropFirst(3)))
            selected = selected.filter { GammaId(world.markets[$0].gammaId) > last }
        }
        let pageItems = Array(selected.prefix(limit))
        var body: [String: Any] = ["markets": pageItems.map { world.gammaObject(world.markets[$0], at: now) }]
        if selected.count > limit, let last = pageItems.last {
            body["next_cursor"] = Data("id:\(world.markets[last].gammaId)".utf8).base64EncodedString()
        }
        return .json(object: body)
    }

    /// `GET /markets/{id}`.
    func gammaMarket(id: String, now: Int64) throws -> Response {
        guard let index = world.marketByGammaId[id], world.isVisible(world.markets[index], at: now) else {
            throw StubError.notFound("market not found")
        }
        return .json(object: world.gammaObject(world.markets[index], at: now))
    }

    /// `GET /markets/slug/{slug}`.
    func gammaMarket(slug: String, now: Int64) throws -> Response {
        guard let index = world.marketBySlug[slug], world.isVisible(world.markets[index], at: now) else {
            throw StubError.notFound("market not found")
        }
        return .json(object: world.gammaObject(world.markets[index], at: now))
    }

    /// `GET /events`: `id`, `slug` (repeatable), `closed`, `limit`, `offset`; each event with
    /// its visible markets.
    func gammaEvents(_ query: Query, pageShift: Int, now: Int64) throws -> Response {
        let limit = try query.limit(default: Self.gammaDefaultLimit, maximum: Self.gammaMaximumLimit)
        let offset = max(0, try query.offset(cap: Int.max) - pageShift)
        let ids = Set(query.list("id"))
        let slugs = Set(query.list("slug"))
        let closed = try query.bool("closed")
        var selected: [Int] = []
        for (index, event) in world.events.enumerated() {
            if !ids.isEmpty, !ids.contains(event.id) { continue }
            if !slugs.isEmpty, !slugs.contains(event.slug) { continue }
            guard event.markets.contains(where: { world.isVisible(world.markets[$0], at: now) }) else { continue }
            if let closed, eventClosed(event, at: now) != closed { continue }
            selected.append(index)
        }
        let ascending = try query.bool("ascending") ?? true
        selected.sort { a, b in
            let (x, y) = (GammaId(world.events[a].id), GammaId(world.events[b].id))
            return ascending ? x < y : y < x
        }
        return .json(object: page(selected, offset: offset, limit: limit).map { eventObject(world.events[$0], at: now) })
    }

    /// `GET /events/{id}` and `GET /events/slug/{slug}`.
    func gammaEvent(id: String?, slug: String?, now: Int64) throws -> Response {
        let index = id.flatMap { world.eventById[$0] } ?? slug.flatMap { world.eventBySlug[$0] }
        guard let index, world.events[index].markets.contains(where: { world.isVisible(world.markets[$0], at: now) }) else {
            throw StubError.notFound("event not found")
        }
        return .json(object: eventObject(world.events[index], at: now))
    }

    private func eventClosed(_ event: StubEvent, at now: Int64) -> Bool {
        event.markets.allSatisfy { now >= world.markets[$0].truth.closedTime }
    }

    private func eventObject(_ event: StubEvent, at now: Int64) -> [String: Any] {
        var object = event.object.fields
        let visible = event.markets.filter { world.isVisible(world.markets[$0], at: now) }
        object["markets"] = visible.map { index -> [String: Any] in
            var market = world.gammaObject(world.markets[index], at: now)
            market.removeValue(forKey: "events")  // Gamma does not nest the event again
            return market
        }
        object["closed"] = eventClosed(event, at: now)
        let volume = visible.reduce(0.0) { $0 + world.tradedVolume(world.markets[$1], through: now) }
        object["volume"] = roundTo(volume, places: 6)
        return object
    }

    /// Visible markets passing `/markets` filters, in the requested order.
    private func selectMarkets(_ query: Query, now: Int64) throws -> [Int] {
        let closed = try query.bool("closed")
        let active = try query.bool("active")
        let archived = try query.bool("archived")
        let ids = Set(query.list("id"))
        let slugs = Set(query.list("slug"))
        let conditionIds = Set(query.list("condition_ids").map { $0.lowercased() })
        if conditionIds.count > Self.maximumConditionIds {
            throw StubError.badRequest("at most \(Self.maximumConditionIds) condition_ids per request")
        }
        let order = query.string("order") ?? "id"
        let orders = ["id", "volume", "volumeNum", "endDate", "startDate", "closedTime", "liquidity", "liquidityNum"]
        guard orders.contains(order) else { throw StubError.badRequest("invalid 'order': \(order)") }
        let ascending = try query.bool("ascending") ?? true

        var selected: [Int] = []
        for (index, market) in world.markets.enumerated() where world.isVisible(market, at: now) {
            if archived == true { break }  // nothing is ever archived
            if active == false { break }  // `active` stays true, even on closed markets
            if let closed, (now >= market.truth.closedTime) != closed { continue }
            if !ids.isEmpty, !ids.contains(market.gammaId) { continue }
            if !slugs.isEmpty, !slugs.contains(market.slug) { continue }
            if !conditionIds.isEmpty, !conditionIds.contains(market.conditionId.lowercased()) { continue }
            selected.append(index)
        }
        func key(_ index: Int) -> (Double, String) {
            let market = world.markets[index]
            let gamma = market.gamma.fields
            switch order {
            case "volume", "volumeNum": return (world.tradedVolume(market, through: now), "")
            case "liquidity", "liquidityNum": return (gamma["liquidityNum"] as? Double ?? 0, "")
            case "endDate": return (0, market.endDate)
            case "startDate": return (0, gamma["startDate"] as? String ?? MarketTimeline.iso8601(market.truth.startTime))
            case "closedTime": return (now >= market.truth.closedTime ? Double(market.truth.closedTime) : 0, "")
            default: return (0, "")
            }
        }
        let keys = Dictionary(uniqueKeysWithValues: selected.map { ($0, key($0)) })
        selected.sort { a, b in
            let (ka, kb) = (keys[a]!, keys[b]!)
            if ka != kb { return ascending ? ka < kb : ka > kb }
            let (ia, ib) = (GammaId(world.markets[a].gammaId), GammaId(world.markets[b].gammaId))
            return ascending ? ia < ib : ib < ia
        }
        return selected
    }
}

/// Gamma ids are decimal strings: compare them as numbers ("99" < "100").
struct GammaId: Comparable {
    let text: String
    init(_ text: String) { self.text = text }
    static func < (a: GammaId, b: GammaId) -> Bool {
        if a.text.count != b.text.count, a.text.allSatisfy(\.isNumber), b.text.allSatisfy(\.isNumber) {
            return a.text.count < b.text.count
        }
        return a.text < b.text
    }
}
