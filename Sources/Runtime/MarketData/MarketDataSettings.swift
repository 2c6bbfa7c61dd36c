public import RemoraCore
public import RemoraPolymarket

/// The settings every stage that reads prices declares, and the source they configure: one
/// place, so the gate, the sizer, the risk guard and the attributor read the same market data.
public enum MarketDataSettings {
    public static let settings: [Setting] = [
        Setting("REMORA_CLOB_API_URL", default: PolymarketEndpoints.polymarket.clob, "CLOB base URL: books and price history (the API stub in replays)"),
        Setting("REMORA_MARK_FIDELITY_MIN", default: "1", "minutes per point of the price series marks are read from", kind: .integer(1...1440)),
        Setting("REMORA_MARK_LOOKBACK_H", default: "168", "hours back a mark may come from (a closed, unresolved market keeps its last mark this long)", kind: .integer(1...8760)),
        Setting("REMORA_BOOK_TTL_MS", default: "1000", "live mode: how long a fetched book is reused, ms (strict mode keeps books by instant)", kind: .integer(0...60_000)),
        Setting("REMORA_API_BUDGET_SCALE", default: "1", "multiplier of the documented request budgets", kind: .number(0.01...1000)),
        Setting("REMORA_API_TIMEOUT_MS", default: "10000", "deadline of one HTTP request, ms", kind: .integer(100...600_000)),
    ]

    /// The copy lag: declared by the stages that place a copy in time.
    public static let copyLag = Setting(
        "REMORA_COPY_LAG_MS", default: "30000",
        "ms from a whale's fill to our copy reaching the market: the order's event time and the instant of its book", kind: .integer(0...3_600_000))

    public static func copyLag(_ settings: Settings) throws -> CopyLag {
        CopyLag(millis: Int64(try settings.int("REMORA_COPY_LAG_MS", in: 0...3_600_000)))
    }

    public static func markPolicy(_ settings: Settings) throws -> MarkPolicy {
        MarkPolicy(
            fidelityMinutes: try settings.int("REMORA_MARK_FIDELITY_MIN", in: 1...1440),
            lookbackMillis: Int64(try settings.int("REMORA_MARK_LOOKBACK_H", in: 1...8760)) * 3_600_000)
    }

    /// The CLOB source for `mode`, storing price history in the stage's database.
    public static func source(_ environment: StageEnvironment, mode: EventTimeMode) throws -> ClobMarketData {
        let s = environment.settings
        let client = PolymarketClient(
            endpoints: PolymarketEndpoints(
                dataAPI: PolymarketEndpoints.polymarket.dataAPI, gamma: PolymarketEndpoints.polymarket.gamma,
                clob: try s.string("REMORA_CLOB_API_URL")),
            retry: RetryPolicy(attempts: 4, timeout: .milliseconds(try s.int("REMORA_API_TIMEOUT_MS"))),
            budgets: RequestBudgets(scale: try s.double("REMORA_API_BUDGET_SCALE", in: 0.01...1000)), logger: environment.logger)
        let clobMode: ClobMarketData.Mode =
            mode == .live ? .live(bookTTL: .milliseconds(try s.int("REMORA_BOOK_TTL_MS"))) : .strict
        return ClobMarketData(client: client, store: environment.store, mode: clobMode, logger: environment.logger)
    }
}
