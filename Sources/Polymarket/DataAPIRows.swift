import Foundation
public import RemoraModel

/// The Data API `/trades` row as Polymarket sends it: numbers as JSON numbers with float noise,
/// timestamp in unix seconds.
public struct DataAPITradeRow: Codable, Sendable {
    public var proxyWallet: String
    public var side: String
    public var asset: String
    public var conditionId: String
    public var size: Double
    public var price: Double
    public var timestamp: Int64
    public var title: String?
    public var outcome: String?
    public var outcomeIndex: Int
    public var transactionHash: String

    public init(
        proxyWallet: String, side: String, asset: String, conditionId: String, size: Double, price: Double,
        timestamp: Int64, title: String?, outcome: String?, outcomeIndex: Int, transactionHash: String
    ) {
        self.proxyWallet = proxyWallet
        self.side = side
        self.asset = asset
        self.conditionId = conditionId
        self.size = size
        self.price = price
        self.timestamp = timestamp
        self.title = title
        self.outcome = outcome
        self.outcomeIndex = outcomeIndex
        self.transactionHash = transactionHash
    }

    public enum RowError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let why): why }
        }
    }

    /// 2020-01-01: Polymarket opened in June 2020; an older fill is a bad row.
    public static let earliestTimestamp: Int64 = 1_577_836_800
    /// Leeway of a fill's timestamp over the API's "now" (block times against the server's clock).
    public static let clockAllowance: Int64 = 300
    /// The largest fill taken as real: 10⁹ shares (a billion USDC at most). Anything larger is a
    /// bad row, and bounding every input keeps sums of a wallet's fills far inside Int64 micros.
    public static var maximumSize: Shares { Trade.maximumSize }

    /// The exact trade. `occurrence` numbers identical fills within one read (exact repeats).
    /// `serverTime` is the API's "now" when the row was read: a fill cannot be later (plus
    /// ``clockAllowance``). Replays of recorded rows have no such clock: their rows need only be
    /// unix seconds before 2100.
    public func trade(serverTime: Int64? = nil, occurrence: (String) -> Int) throws -> Trade {
        let latest = serverTime.map { $0 + Self.clockAllowance } ?? 4_102_444_800
        guard let wallet = WalletAddress(proxyWallet) else { throw RowError.invalid("proxyWallet is not an address: \(proxyWallet)") }
        guard let condition = ConditionID(conditionId) else { throw RowError.invalid("conditionId malformed: \(conditionId)") }
        guard let side = Side(rawValue: side.uppercased()) else { throw RowError.invalid("side must be BUY or SELL: \(self.side)") }
        guard !asset.isEmpty, asset.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { throw RowError.invalid("asset is not a token id: \(asset)") }
        guard let shares = Shares(rounding: size), shares.micros > 0, shares <= Self.maximumSize else {
            throw RowError.invalid("size must be positive and at most \(Self.maximumSize) shares: \(size)")
        }
        // Float noise (0.21999995306666104): round to the finest tick Polymarket uses, then check.
        guard let price = Price(rounding: price)?.rounded(toTick: Price(micros: 100)),
            price.micros > 0, price.micros < microsPerUnit
        else {
            throw RowError.invalid("price must be inside (0, 1) at a 0.0001 tick: \(self.price)")
        }
        // Every Polymarket (CLOB) market is one condition with two outcome tokens; a multi-outcome
        // event is a group of such markets. Any other index names no token of the market.
        guard (0...1).contains(outcomeIndex) else {
            throw RowError.invalid("outcomeIndex \(outcomeIndex) does not exist: a Polymarket market has outcomes 0 and 1")
        }
        // Unix seconds since Polymarket existed, and not beyond the API's own clock: anything else
        // (milliseconds, nanoseconds, a poisoned row) would move the wallet's cursor past its real trades.
        guard timestamp >= Self.earliestTimestamp, timestamp <= latest else {
            throw RowError.invalid(
                timestamp < Self.earliestTimestamp
                    ? "timestamp \(timestamp) is before Polymarket existed (\(Self.earliestTimestamp)) or not unix seconds"
                    : "timestamp \(timestamp) is beyond the API's clock (\(latest))")
        }
        let key = Trade.fillKey(
            transactionHash: transactionHash, asset: asset, side: side, size: shares, price: price, wallet: wallet,
            occurrence: 0)
        return Trade(
            wallet: wallet, side: side, asset: asset, conditionId: condition, outcomeIndex: outcomeIndex,
            outcome: outcome ?? "", size: shares, price: price, timestamp: EventTime(seconds: timestamp),
            transactionHash: transactionHash, title: title ?? "", occurrence: occurrence(key))
    }
}

/// A Data API `/activity` row. TRADE rows carry a trade; REDEEM rows have an empty `asset` and
/// `side` and `outcomeIndex` 999; MERGE, SPLIT, REWARD, CONVERSION, MAKER_REBATE move USDC or
/// tokens without a fill.
public struct ActivityRow: Decodable, Sendable {
    public var proxyWallet: String
    public var timestamp: Int64
    public var conditionId: String
    public var type: String
    public var size: Double
    public var usdcSize: Double
    public var transactionHash: String
    public var price: Double
    public var asset: String
    public var side: String
    public var outcomeIndex: Int
    public var title: String?
    public var outcome: String?

    enum CodingKeys: String, CodingKey {
        case proxyWallet, timestamp, conditionId, type, size, usdcSize, transactionHash, price, asset, side, outcomeIndex,
            title, outcome
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        proxyWallet = try c.decode(String.self, forKey: .proxyWallet)
        timestamp = try c.flexibleInt64(.timestamp) ?? 0
        conditionId = try c.decodeIfPresent(String.self, forKey: .conditionId) ?? ""
        type = try c.decode(String.self, forKey: .type)
        size = try c.flexibleDouble(.size) ?? 0
        usdcSize = try c.flexibleDouble(.usdcSize) ?? 0
        transactionHash = try c.decodeIfPresent(String.self, forKey: .transactionHash) ?? ""
        price = try c.flexibleDouble(.price) ?? 0
        asset = try c.decodeIfPresent(String.self, forKey: .asset) ?? ""
        side = try c.decodeIfPresent(String.self, forKey: .side) ?? ""
        outcomeIndex = Int(try c.flexibleInt64(.outcomeIndex) ?? 999)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
    }

    /// The conversion behind a CONVERSION row (nil for every other type): `size` shares of
    /// `asset` (the market's "No") left the wallet. The capture holds no CONVERSION row; a row
    /// that does not name the token it converted cannot be followed, and is refused with why.
    public func conversion(serverTime: Int64? = nil) throws -> Trade? {
        guard type == "CONVERSION" else { return nil }
        let latest = serverTime.map { $0 + DataAPITradeRow.clockAllowance } ?? 4_102_444_800
        guard let wallet = WalletAddress(proxyWallet) else { throw DataAPITradeRow.RowError.invalid("proxyWallet is not an address: \(proxyWallet)") }
        guard let condition = ConditionID(conditionId) else { throw DataAPITradeRow.RowError.invalid("conditionId malformed: \(conditionId)") }
        guard !asset.isEmpty, asset.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw DataAPITradeRow.RowError.invalid("a CONVERSION row without the token it converted (asset \"\(asset)\"): which position fell is unknown")
        }
        guard (0...1).contains(outcomeIndex) else {
            throw DataAPITradeRow.RowError.invalid("outcomeIndex \(outcomeIndex) does not exist: a Polymarket market has outcomes 0 and 1")
        }
        guard let shares = Shares(rounding: size), shares.micros > 0, shares <= DataAPITradeRow.maximumSize else {
            throw DataAPITradeRow.RowError.invalid("size must be positive and at most \(DataAPITradeRow.maximumSize) shares: \(size)")
        }
        guard timestamp >= DataAPITradeRow.earliestTimestamp, timestamp <= latest else {
            throw DataAPITradeRow.RowError.invalid("timestamp \(timestamp) outside \(DataAPITradeRow.earliestTimestamp)…\(latest)")
        }
        return Trade.conversion(
            wallet: wallet, asset: asset, conditionId: condition, outcomeIndex: outcomeIndex, outcome: outcome ?? "", size: shares,
            timestamp: EventTime(seconds: timestamp), transactionHash: transactionHash, title: title ?? "")
    }

    /// The fill behind a TRADE row (nil for every other type).
    public var tradeRow: DataAPITradeRow? {
        guard type == "TRADE" else { return nil }
        return DataAPITradeRow(
            proxyWallet: proxyWallet, side: side, asset: asset, conditionId: conditionId, size: size, price: price,
            timestamp: timestamp, title: title, outcome: outcome, outcomeIndex: outcomeIndex, transactionHash: transactionHash)
    }
}

/// A Data API `/positions` row.
public struct PositionRow: Decodable, Sendable {
    public var proxyWallet: String
    public var asset: String
    public var conditionId: String
    public var size: Double
    public var avgPrice: Double
    public var initialValue: Double
    public var currentValue: Double
    public var cashPnl: Double
    public var percentPnl: Double
    public var totalBought: Double
    public var realizedPnl: Double
    public var curPrice: Double
    public var redeemable: Bool
    public var mergeable: Bool
    public var outcome: String?
    public var outcomeIndex: Int
    public var oppositeAsset: String?
    public var endDate: String?
    public var negativeRisk: Bool?
    public var title: String?

    enum CodingKeys: String, CodingKey {
        case proxyWallet, asset, conditionId, size, avgPrice, initialValue, currentValue, cashPnl, percentPnl, totalBought,
            realizedPnl, curPrice, redeemable, mergeable, outcome, outcomeIndex, oppositeAsset, endDate, negativeRisk, title
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        proxyWallet = try c.decode(String.self, forKey: .proxyWallet)
        asset = try c.decode(String.self, forKey: .asset)
        conditionId = try c.decode(String.self, forKey: .conditionId)
        size = try c.flexibleDouble(.size) ?? 0
        avgPrice = try c.flexibleDouble(.avgPrice) ?? 0
        initialValue = try c.flexibleDouble(.initialValue) ?? 0
        currentValue = try c.flexibleDouble(.currentValue) ?? 0
        cashPnl = try c.flexibleDouble(.cashPnl) ?? 0
        percentPnl = try c.flexibleDouble(.percentPnl) ?? 0
        totalBought = try c.flexibleDouble(.totalBought) ?? 0
        realizedPnl = try c.flexibleDouble(.realizedPnl) ?? 0
        curPrice = try c.flexibleDouble(.curPrice) ?? 0
        redeemable = try c.decodeIfPresent(Bool.self, forKey: .redeemable) ?? false
        mergeable = try c.decodeIfPresent(Bool.self, forKey: .mergeable) ?? false
        outcome = try c.decodeIfPresent(String.self, forKey: .outcome)
        outcomeIndex = Int(try c.flexibleInt64(.outcomeIndex) ?? 0)
        oppositeAsset = try c.decodeIfPresent(String.self, forKey: .oppositeAsset)
        endDate = try c.decodeIfPresent(String.self, forKey: .endDate)
        negativeRisk = try c.decodeIfPresent(Bool.self, forKey: .negativeRisk)
        title = try c.decodeIfPresent(String.self, forKey: .title)
    }
}

/// A `/v1/leaderboard` row; `rank` arrives as a string.
public struct LeaderboardRow: Decodable, Sendable {
    public var rank: Int
    public var proxyWallet: String
    public var userName: String?
    public var volume: Double
    public var pnl: Double

    enum CodingKeys: String, CodingKey { case rank, proxyWallet, userName, vol, pnl }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rank = Int(try c.flexibleInt64(.rank) ?? 0)
        proxyWallet = try c.decode(String.self, forKey: .proxyWallet)
        userName = try c.decodeIfPresent(String.self, forKey: .userName)
        volume = try c.flexibleDouble(.vol) ?? 0
        pnl = try c.flexibleDouble(.pnl) ?? 0
    }
}
