public import RemoraModel
import Foundation

/// A Gamma `/markets` object: the fields Remora reads, decoded from the real shapes (lists
/// inside strings, volumes as strings, `closedTime` as `2026-06-04 00:34:19+00`).
public struct GammaMarket: Decodable, Sendable {
    public var id: String
    public var question: String
    public var conditionId: String
    public var slug: String?
    public var category: String?
    public var endDate: String?
    public var closedTime: String?
    /// Last change of the market row; once resolved, when the result was written.
    public var updatedAt: String?
    public var active: Bool
    public var closed: Bool
    public var outcomes: [String]
    /// Parsed `outcomePrices`, as decimal text ("1", "0", "0.5", "0.054").
    public var outcomePrices: [String]
    public var clobTokenIds: [String]
    public var umaResolutionStatus: String?
    public var umaResolutionStatuses: [String]
    public var negRisk: Bool
    /// The id that groups a negative-risk event's markets (`negRiskMarketID`).
    public var negRiskMarketID: String?
    public var tickSize: Double?
    public var minOrderSize: Double?
    /// Volume as the API states it (decimal text), for reconciliation.
    public var volume: String?
    public var feesEnabled: Bool
    /// Taker fee rate from `feeSchedule.rate` when fees are on.
    public var takerFeeRate: Double?
    public var events: [GammaEventReference]
    public var tags: [String]

    enum CodingKeys: String, CodingKey {
        case id, question, conditionId, slug, category, endDate, closedTime, updatedAt, active, closed, outcomes, outcomePrices,
            clobTokenIds, umaResolutionStatus, umaResolutionStatuses, negRisk, negRiskMarketID, orderPriceMinTickSize, orderMinSize,
            volume, feesEnabled, feeSchedule, events, tags
    }

    struct FeeSchedule: Decodable {
        var rate: Double?
        enum CodingKeys: String, CodingKey { case rate }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rate = try c.flexibleDouble(.rate)
        }
    }

    struct Tag: Decodable {
        var label: String?
        var slug: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // `id` is a string on Gamma; accept a number too.
        if let text = try? c.decode(String.self, forKey: .id) { id = text } else { id = String(try c.decode(Int64.self, forKey: .id)) }
        question = try c.decodeIfPresent(String.self, forKey: .question) ?? ""
        conditionId = try c.decode(String.self, forKey: .conditionId)
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        category = try c.decodeIfPresent(String.self, forKey: .category)
        endDate = try c.decodeIfPresent(String.self, forKey: .endDate)
        closedTime = try c.decodeIfPresent(String.self, forKey: .closedTime)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
        active = try c.decodeIfPresent(Bool.self, forKey: .active) ?? false
        closed = try c.decodeIfPresent(Bool.self, forKey: .closed) ?? false
        outcomes = try c.encodedStringList(.outcomes)
        outcomePrices = try c.encodedStringList(.outcomePrices)
        clobTokenIds = try c.encodedStringList(.clobTokenIds)
        umaResolutionStatus = try c.decodeIfPresent(String.self, forKey: .umaResolutionStatus)
        umaResolutionStatuses = try c.encodedStringList(.umaResolutionStatuses)
        negRisk = try c.decodeIfPresent(Bool.self, forKey: .negRisk) ?? false
        negRiskMarketID = (try? c.decodeIfPresent(String.self, forKey: .negRiskMarketID)).flatMap { $0?.isEmpty == false ? $0 : nil }
        tickSize = try c.flexibleDouble(.orderPriceMinTickSize)
        minOrderSize = try c.flexibleDouble(.orderMinSize)
        volume = try c.decimalText(.volume)
        feesEnabled = try c.decodeIfPresent(Bool.self, forKey: .feesEnabled) ?? false
        takerFeeRate = feesEnabled ? (try c.decodeIfPresent(FeeSchedule.self, forKey: .feeSchedule))?.rate : nil
        events = try c.decodeIfPresent([GammaEventReference].self, forKey: .events) ?? []
        tags = (try? c.decodeIfPresent([Tag].self, forKey: .tags))??.compactMap { $0.label ?? $0.slug } ?? []
    }

    /// The oracle's current status: the single field when present, else the last of the list.
    public var currentUMAStatus: String? { umaResolutionStatus ?? umaResolutionStatuses.last }

    /// `closedTime` in unix seconds (`2026-06-04 00:34:19+00`, or ISO 8601).
    public var closedAt: Int64? { closedTime.flatMap(parseGammaTime) }

    /// `updatedAt` in unix seconds.
    public var updatedAtTime: Int64? { updatedAt.flatMap(parseGammaTime) }

    /// `endDate` in unix seconds.
    public var endsAt: Int64? { endDate.flatMap(parseGammaTime) }
}

/// A `/markets/keyset` answer: `{"markets": […], "next_cursor": "…"}`, no cursor on the last page.
public struct GammaMarketsPage: Decodable, Sendable {
    public var markets: [GammaMarket]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case markets
        case nextCursor = "next_cursor"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        markets = try c.decodeIfPresent([GammaMarket].self, forKey: .markets) ?? []
        let cursor = try c.decodeIfPresent(String.self, forKey: .nextCursor)
        nextCursor = cursor?.isEmpty == false ? cursor : nil
    }
}

/// The event a market belongs to, as embedded in a Gamma market.
public struct GammaEventReference: Decodable, Sendable {
    public var id: String
    public var slug: String?
    public var title: String?

    enum CodingKeys: String, CodingKey { case id, slug, title }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? c.decode(String.self, forKey: .id) { id = text } else { id = String(try c.decode(Int64.self, forKey: .id)) }
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        title = try c.decodeIfPresent(String.self, forKey: .title)
    }
}

/// A Gamma `/events` object with its markets.
public struct GammaEvent: Decodable, Sendable {
    public var id: String
    public var slug: String?
    public var title: String?
    public var markets: [GammaMarket]

    enum CodingKeys: String, CodingKey { case id, slug, title, markets }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? c.decode(String.self, forKey: .id) { id = text } else { id = String(try c.decode(Int64.self, forKey: .id)) }
        slug = try c.decodeIfPresent(String.self, forKey: .slug)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        markets = try c.decodeIfPresent([GammaMarket].self, forKey: .markets) ?? []
    }
}

/// Parses Gamma's times: `2026-06-04 00:34:19+00`, `2025-12-31T12:00:00Z`,
/// `2025-01-05T18:49:12.543209Z`, `2025-12-31`.
func parseGammaTime(_ text: String) -> Int64? {
    let digits = text.split(whereSeparator: { !$0.isNumber }).map(String.init)
    guard digits.count >= 3, let year = Int(digits[0]), let month = Int(digits[1]), let day = Int(digits[2]),
        (1970...2200).contains(year), (1...12).contains(month), (1...31).contains(day)
    else { return nil }
    let hour = digits.count > 3 ? Int(digits[3]) ?? 0 : 0
    let minute = digits.count > 4 ? Int(digits[4]) ?? 0 : 0
    let second = digits.count > 5 ? Int(digits[5]) ?? 0 : 0
    let days = daysFromCivil(year: year, month: month, day: day)
    return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
}


extension GammaMarket {
    /// The resolver's market row: category in Remora's words ("pop-culture"), token ids, end,
    /// tick and taker fee. Nil when the row is not usable (``modelProblem`` says why).
    public func model() -> Market? {
        guard modelProblem == nil, let condition = ConditionID(conditionId) else { return nil }
        let tick = tickSize.flatMap { Price(rounding: $0) } ?? Price(micros: 10_000)
        return Market(
            conditionId: condition, question: question, category: MarketCategory.canonical(category ?? tags.first ?? "other"),
            outcomes: outcomes, tokenIds: clobTokenIds, endDate: endsAt.map { EventTime(seconds: $0) }, tickSize: tick,
            takerFeePpm: Int64(((takerFeeRate ?? 0) * 1_000_000).rounded()), negRiskEvent: negRisk ? negRiskMarketID ?? events.first?.id : nil)
    }

    /// The market's trading terms as this row shows them at `seenAt` (nil when the row is not
    /// usable). Gamma's `closed` stands for "not accepting orders".
    public func terms(seenAt: EventTime) -> MarketTerms? {
        guard let market = model() else { return nil }
        return MarketTerms(
            conditionId: market.conditionId, seenAt: seenAt, endDate: market.endDate,
            closedAt: closed ? closedAt.map { EventTime(seconds: $0) } : nil, acceptingOrders: active && !closed,
            takerFeeBps: Int(market.takerFeePpm / 100), tick: market.tickSize,
            minimumOrder: minOrderSize.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e9 ? Shares(rounding: $0) : nil } ?? .zero)
    }

    /// Why this row cannot be a market (numbers from outside are range-checked here, where they
    /// enter: a fee rate of 1e300 must not trap the resolver on `Int64(rate × 10⁶)`); nil when usable.
    public var modelProblem: String? {
        guard ConditionID(conditionId) != nil else { return "conditionId malformed: \(conditionId)" }
        guard !clobTokenIds.isEmpty, clobTokenIds.count == outcomes.count else {
            return "market without paired outcomes and token ids (\(outcomes.count) outcomes, \(clobTokenIds.count) token ids)"
        }
        if let rate = takerFeeRate, !(rate.isFinite && (0...1).contains(rate)) {
            return "taker fee rate outside [0, 1]: \(rate)"
        }
        if let tick = tickSize, !(tick.isFinite && tick >= 0.0001 && tick <= 0.1) {
            return "tick size outside [0.0001, 0.1]: \(tick)"
        }
        return nil
    }

}

