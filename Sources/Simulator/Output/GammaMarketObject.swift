public import Foundation

/// A Gamma `/markets` object for a simulated market, with every key a real one carries (same
/// JSON types; lists encoded inside strings), then the state at `time` applied by
/// ``MarketTimeline``. Fees: `feesEnabled` and, when on, `feeSchedule.rate` (taker only).
public enum GammaMarketObject {
    public static func object(_ m: SimulatedMarket, at time: Int64, volume: Double) -> [String: Any] {
        let t = m.truth
        let created = t.startTime - 3_600
        let midpoint = m.history.midpoint(at: min(time, t.closedTime))
        var o: [String: Any] = [
            "id": t.gammaId,
            "question": m.question,
            "conditionId": t.conditionId,
            "slug": m.slug,
            "resolutionSource": "",
            "endDate": MarketTimeline.iso8601(m.endDate),
            "endDateIso": MarketTimeline.isoDate(m.endDate),
            "startDate": MarketTimeline.iso8601(t.startTime),
            "startDateIso": MarketTimeline.isoDate(t.startTime),
            "liquidity": decimalString(t.liquidity, places: 5),
            "liquidityNum": roundTo(t.liquidity, places: 5),
            "liquidityClob": roundTo(t.liquidity, places: 5),
            "image": m.icon,
            "icon": m.icon,
            "description": m.description,
            "outcomes": MarketTimeline.jsonEncodedStrings(["Yes", "No"]),
            "clobTokenIds": MarketTimeline.jsonEncodedStrings(t.tokenIds),
            "marketMakerAddress": "",
            "createdAt": MarketTimeline.iso8601(created),
            "updatedAt": MarketTimeline.iso8601(min(time, t.resolvedAt)),
            "new": false,
            "featured": false,
            "submitted_by": "0x91430CaD2d3975766499717fA0D66A78D814E5c5",
            "archived": false,
            "resolvedBy": "0x2F5e3684cb1F318ec51b00Edba38d79Ac2c0aA9d",
            "restricted": true,
            "groupItemTitle": m.groupItemTitle,
            "groupItemThreshold": "0",
            "questionID": m.questionId,
            "enableOrderBook": true,
            "orderPriceMinTickSize": t.tick,
            "orderMinSize": Int(t.minOrderSize),
            "hasReviewedDates": true,
            "volume24hr": 0.0, "volume1wk": 0.0, "volume1mo": 0.0, "volume1yr": 0.0,
            "volume24hrClob": 0.0, "volume1wkClob": 0.0, "volume1moClob": 0.0, "volume1yrClob": 0.0,
            "umaBond": "500",
            "umaReward": "5",
            "negRisk": m.negRisk,
            "events": [eventObject(m, created: created)],
            "ready": false,
            "funded": false,
            "acceptingOrdersTimestamp": MarketTimeline.iso8601(t.startTime),
            "cyom": false,
            "competitive": roundTo(min(1, t.liquidity / 100_000), places: 6),
            "pagerDutyNotificationEnabled": false,
            "approved": true,
            "rewardsMinSize": 20,
            "rewardsMaxSpread": 3.5,
            "automaticallyActive": true,
            "clearBookOnStart": true,
            "manualActivation": false,
            "negRiskOther": false,
            "pendingDeployment": false,
            "deploying": false,
            "rfqEnabled": false,
            "holdingRewardsEnabled": false,
            "feesEnabled": t.takerFeeRate > 0,
            "requiresTranslation": false,
            "feeType": NSNull(),
            "category": categoryTitle(t.category),
        ]
        if m.negRisk, let id = m.event.negRiskMarketId {
            o["negRiskMarketID"] = id
            o["negRiskRequestID"] = "0x" + String(t.conditionId.dropFirst(2).reversed())
        }
        if t.takerFeeRate > 0 {
            o["feeSchedule"] = ["rate": t.takerFeeRate, "takerOnly": true, "rebateRate": 0.0] as [String: Any]
        }
        let state = MarketTimeline.state(of: t, at: time, midpoint: midpoint)
        MarketTimeline.apply(state, market: t, volume: volume, midpoint: midpoint, to: &o)
        return o
    }

    static func eventObject(_ m: SimulatedMarket, created: Int64) -> [String: Any] {
        var event: [String: Any] = [
            "id": m.event.id,
            "ticker": m.event.slug,
            "slug": m.event.slug,
            "title": m.event.title,
            "startDate": MarketTimeline.iso8601(m.truth.startTime),
            "endDate": MarketTimeline.iso8601(m.endDate),
            "creationDate": MarketTimeline.iso8601(created),
            "icon": m.icon,
            "image": m.icon,
            "negRisk": m.negRisk,
            "enableNegRisk": m.negRisk,
        ]
        if let id = m.event.negRiskMarketId { event["negRiskMarketID"] = id }
        return event
    }

    /// Gamma's category strings ("Politics", "Crypto", "Sports", "Pop Culture", …).
    public static func categoryTitle(_ category: String) -> String {
        switch category {
        case "pop-culture": "Pop Culture"
        default: category.prefix(1).uppercased() + category.dropFirst()
        }
    }
}
