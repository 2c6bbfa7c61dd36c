import Foundation

/// The arguments of a world. The same parameters always give byte-identical files.
public struct WorldParameters: Sendable, Codable, Equatable {
    public var seed: UInt64
    public var wallets: Int
    public var markets: Int
    public var months: Int
    /// First instant (unix seconds, UTC midnight).
    public var startTime: Int64
    /// The delay between a fill and its copy that the truth's copy values assume (30 s: a
    /// polling follower's detection and decision).
    public var copyLagSeconds: Int64 = 30

    /// The default world starts two months before taker fees do (2026-01-01), so fees are
    /// charged in its last month.
    public init(
        seed: UInt64 = 7, wallets: Int = 300, markets: Int = 200, months: Int = 3,
        startTime: Int64 = unixTime(year: 2025, month: 11, day: 1), copyLagSeconds: Int64 = 30
    ) {
        self.seed = seed
        self.wallets = wallets
        self.markets = markets
        self.months = months
        self.startTime = startTime
        self.copyLagSeconds = copyLagSeconds
    }

    /// `make demo`'s world: flows through the whole pipeline in about a minute.
    public static let demo = WorldParameters()

    /// `remora calibrate`'s world: a year of 1,000 wallets, whose economics are measured with
    /// markets to spare. On the demo's quarter the makers' expected take swings from −5 % to +8 %
    /// with the seed (docs/simulator.md): too few whale fills to judge a band on.
    public static let calibration = WorldParameters(seed: 7, wallets: 1_000, markets: 800, months: 12)

    /// The scale target: about 1,000,000 trades.
    public static let scale = WorldParameters(seed: 1, wallets: 10_000, markets: 5_000, months: 24)

    /// The last instant: `months` calendar months after the start.
    public var endTime: Int64 {
        let d = civil(startTime)
        let total = d.month - 1 + months
        return unixTime(year: d.year + total / 12, month: total % 12 + 1, day: d.day) + Int64(startTime % 86_400)
    }

    /// Trades per wallet per month on average (the real Data API sample has a long tail of
    /// one-trade wallets and a few very busy ones; this sets the world's overall density).
    public static let tradesPerWalletMonth = 4.2

    public static let generatorVersion = "remora-simulator.v4"

    /// Errors in the arguments, in words.
    public func validate() throws {
        func check(_ ok: Bool, _ why: String) throws { if !ok { throw WorldParametersError(message: why) } }
        try check(wallets >= 10, "--wallets must be at least 10 (got \(wallets))")
        try check(markets >= 10, "--markets must be at least 10 (got \(markets))")
        try check((1...120).contains(months), "--months must be between 1 and 120 (got \(months))")
        try check(wallets <= 10_000_000 && markets <= 1_000_000, "world too large")
    }
}

public struct WorldParametersError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
