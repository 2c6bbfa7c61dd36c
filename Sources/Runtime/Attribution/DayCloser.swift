import Foundation
public import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel
import RemoraQuant
import RemoraStore

/// The attributor's settings.
public struct AttributionSettings: Sendable {
    public static let settings: [Setting] = [
        Setting(
            "REMORA_BENCHMARK_ORDER_USDC", default: "500",
            "copy-all benchmark and rejected-signals shadow book: cash per copied whale buy (same execution and fees as our book)",
            kind: .number(1...1_000_000_000)),
        Setting(
            "REMORA_INITIAL_CAPITAL", default: "100000",
            "starting cash of the paper book, USDC (the benchmark and the shadow book start with the same)", kind: .usdc),
    ]

    public var shadowNotional: USDC
    public var initialCapital: USDC
    public var thresholds = KPIThresholds()

    public init(_ settings: Settings) throws {
        guard let notional = USDC(decimal: try settings.string("REMORA_BENCHMARK_ORDER_USDC")), notional > .zero else {
            throw ConfigurationError.malformed("REMORA_BENCHMARK_ORDER_USDC", "a positive amount of USDC")
        }
        guard let capital = USDC(decimal: try settings.string("REMORA_INITIAL_CAPITAL")), capital > .zero else {
            throw ConfigurationError.malformed("REMORA_INITIAL_CAPITAL", "a positive amount of USDC")
        }
        shadowNotional = notional
        initialCapital = capital
    }

    public init(shadowNotional: USDC, initialCapital: USDC) {
        self.shadowNotional = shadowNotional
        self.initialCapital = initialCapital
    }
}

/// Closes the days of event time whose decisions are all stored: loads each day's inputs, asks
/// market data for the shadow copies' books and the end-of-day marks, calls the core
/// (`Attribution.open` / `close`), stores the days and the state, and returns the KPI alerts to
/// append in the same transaction.
public struct DayCloser: Sendable {
    public let marketData: any MarketData
    public let markPolicy: MarkPolicy
    public let lag: CopyLag
    public let settings: AttributionSettings
    public let mode: EventTimeMode
    public let logger: Logger

    public init(
        marketData: any MarketData, markPolicy: MarkPolicy, lag: CopyLag, settings: AttributionSettings, mode: EventTimeMode, logger: Logger
    ) {
        self.mode = mode
        self.marketData = marketData
        self.markPolicy = markPolicy
        self.lag = lag
        self.settings = settings
        self.logger = logger
    }

    public func closeDays(on connection: PostgresConnection) async throws -> [StreamRecord] {
        guard let through = try await AttributionStore.decidedThrough(on: connection, logger: logger) else { return [] }
        var state: AttributionState
        if let stored = try await AttributionStore.state(on: connection, logger: logger) {
            state = stored
        } else {
            guard let first = try await AttributionStore.firstDay(on: connection, logger: logger) else { return [] }
            state = AttributionState(nextDay: first, initialCash: settings.initialCapital)
        }
        var closed: [AttributionDay] = []
        var alerts: [StreamRecord] = []
        let started = ContinuousClock.now
        // Each token's series is read once per step, over every day the step closes (a day's
        // mark is the series' last point at its end within the lookback, as one read per day
        // would give).
        var marks = Marks(lookbackMillis: markPolicy.lookbackMillis)
        let span = (from: EventTime(millis: state.nextDay * EventTime.day), through: through)
        // Every day the watermark passed, in this step: nothing else would wake the attributor for
        // the rest once the pipeline is idle.
        while (state.nextDay + 1) * EventTime.day <= through.millis {
            let (next, day) = try await close(day: state.nextDay, state: state, marks: &marks, span: span, on: connection)
            let quarantined = try await Self.quarantinedWhales(at: day.endTime, on: connection, logger: logger)
            let kpis = next.kpis(at: day.endTime, quarantined: quarantined)
            state = next
            for alert in kpis.alerts(since: state.kpiLevels, thresholds: settings.thresholds) {
                // A KPI alert is news about the book, not a fault of this stage: logged as a warning
                // (info when back within limits) so that `level=error` keeps meaning "the stage failed".
                logger.log(
                    level: alert.level == .info ? .info : .warning, "KPI alert",
                    metadata: ["code": "\(alert.code)", "severity": "\(alert.level.rawValue)", "message": "\(alert.message)", "at": "\(alert.at.utcText)"])
                alerts.append(try StreamRecord(
                    stream: .alert, uid: "attributor:\(alert.code):\(alert.at.millis)", key: "attributor", eventTime: alert.at,
                    payload: alert))
            }
            state.kpiLevels = kpis.levels(settings.thresholds)
            var stored = day
            stored.kpis = kpis
            closed.append(stored)
        }
        if !closed.isEmpty {
            try await AttributionStore.save(state, days: closed, on: connection, logger: logger)
            logger.info(
                "days attributed",
                metadata: [
                    "through": "\(closed.last!.endTime)", "days": "\(closed.count)",
                    "nav": "\(state.ours.nav)", "benchmark_nav": "\(state.benchmark.nav)",
                    "seconds": "\(String(format: "%.2f", Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)))",
                ])
        }
        return alerts
    }

    func close(
        day: Int64, state: AttributionState, marks: inout Marks, span: (from: EventTime, through: EventTime),
        on connection: PostgresConnection
    ) async throws -> (AttributionState, AttributionDay) {
        let inputs = try await AttributionStore.inputs(day: day, lagMillis: lag.millis, on: connection, logger: logger)
        let markets = Set(inputs.decisions.map(\.conditionId) + inputs.signals.map(\.conditionId))
        let groups = try await BookStore.marketGroups(markets, on: connection, logger: logger)
        func category(_ market: ConditionID) -> String { groups[market]?.category ?? "other" }
        // The shadow copies' books and fees at their copy instants, fetched together.
        var requests: [(index: Int, token: TokenID, at: EventTime, market: ConditionID)] = []
        var boughtToday = Set<WhaleHolding>()
        let signals = inputs.signals.sorted { ($0.tradeTime, $0.tradeId) < ($1.tradeTime, $1.tradeId) }
        for (index, signal) in signals.enumerated() {
            if Attribution.needsBooks(signal, state: state, boughtToday: boughtToday) {
                for token in ShadowBook.bookTokens(of: signal).sorted() {
                    requests.append((index, token, lag.copyInstant(ofFillAt: signal.tradeTime), signal.conditionId))
                }
            }
            if ShadowBook.opens(signal, policy: ShadowPolicy(copies: .all, orderNotional: .zero)) {
                boughtToday.insert(WhaleHolding(wallet: signal.wallet, asset: signal.asset))
            }
        }
        let fetched = try await fetch(requests)
        var events: [AttributionEvent] = inputs.resolutions.map { .resolution($0) }
        events += inputs.decisions.map { .decision($0, category: category($0.conditionId)) }
        for (index, signal) in signals.enumerated() {
            let answers = fetched[index] ?? (books: [:], fee: 0)
            events.append(.whaleOrder(ShadowOrder(
                signal: signal, copyAt: lag.copyInstant(ofFillAt: signal.tradeTime), books: answers.books,
                takerFeeBps: answers.fee, category: category(signal.conditionId))))
        }
        let open = Attribution.open(day: day, events: events, state: state, shadowNotional: settings.shadowNotional)
        let missing = open.heldTokens.filter { marks.series[$0] == nil }.sorted()
        for (token, series) in try await readSeries(missing, from: span.from.adding(millis: -markPolicy.lookbackMillis), through: span.through) {
            marks.series[token] = series
        }
        return open.close(marks: marks)
    }

    /// Books and taker fees, eight requests at a time. A market that cannot answer leaves the copy
    /// unfilled with its reason (the same as our book would: fail closed).
    func fetch(_ requests: [(index: Int, token: TokenID, at: EventTime, market: ConditionID)]) async throws
        -> [Int: (books: [TokenID: Result<OrderBook, MarketDataProblem>], fee: Int)]
    {
        var answers: [Int: (books: [TokenID: Result<OrderBook, MarketDataProblem>], fee: Int)] = [:]
        let source = marketData
        try await withThrowingTaskGroup(of: (Int, TokenID, Result<OrderBook, MarketDataProblem>, Int).self) { group in
            var next = 0
            func launch() {
                guard next < requests.count else { return }
                let request = requests[next]
                next += 1
                group.addTask {
                    (request.index, request.token, await Self.book(of: request.token, at: request.at, from: source),
                     await Self.fee(of: request.market, at: request.at, from: source))
                }
            }
            for _ in 0..<8 { launch() }
            while let (index, token, book, fee) = try await group.next() {
                // Strict mode: the market of an instant is fixed; a transient failure is retried
                // with the step, never taken as the market's answer.
                if case .failure(let problem) = book, case .unavailable = problem, mode == .strict {
                    throw MarketDataBatch.Unavailable(problem: problem)
                }
                answers[index, default: ([:], 0)].books[token] = book
                answers[index]?.fee = fee
                launch()
            }
        }
        return answers
    }

    /// Price series of `tokens`, eight at a time. A token the source cannot price keeps its last
    /// mark in strict mode only if the failure is not transient (which is retried with the step).
    func readSeries(_ tokens: [TokenID], from: EventTime, through: EventTime) async throws -> [(TokenID, PriceSeries)] {
        var result: [(TokenID, PriceSeries)] = []
        let source = marketData
        let fidelity = markPolicy.fidelityMinutes
        try await withThrowingTaskGroup(of: (TokenID, Result<PriceSeries, MarketDataProblem>).self) { group in
            var next = 0
            func launch() {
                guard next < tokens.count else { return }
                let token = tokens[next]
                next += 1
                group.addTask { (token, await Self.series(of: token, from: from, through: through, fidelity: fidelity, source: source)) }
            }
            for _ in 0..<8 { launch() }
            while let (token, answer) = try await group.next() {
                switch answer {
                case .success(let series): result.append((token, series))
                case .failure(let problem):
                    if case .unavailable = problem, mode == .strict { throw MarketDataBatch.Unavailable(problem: problem) }
                    logger.warning("no marks for a token: it keeps its last mark", metadata: ["token": "\(token)", "problem": "\(problem)"])
                }
                launch()
            }
        }
        return result
    }

    private static func series(
        of token: TokenID, from: EventTime, through: EventTime, fidelity: Int, source: any MarketData
    ) async -> Result<PriceSeries, MarketDataProblem> {
        do { return .success(try await source.series(of: token, from: from, through: through, fidelityMinutes: fidelity)) } catch {
            return .failure(error)
        }
    }

    // Results across the task group, not typed throws (see MarketDataBatch).
    private static func book(of token: TokenID, at time: EventTime, from source: any MarketData) async
        -> Result<OrderBook, MarketDataProblem>
    {
        do { return .success(try await source.book(of: token, at: time)) } catch { return .failure(error) }
    }

    /// The market's taker fee at the instant; none charged when its terms cannot be read.
    private static func fee(of market: ConditionID, at time: EventTime, from source: any MarketData) async -> Int {
        do { return try await source.terms(of: market, at: time)?.takerFeeBps ?? 0 } catch { return 0 }
    }

    /// Whales whose last quarantine event at or before `time` quarantined them (the gate's alerts).
    static func quarantinedWhales(at time: EventTime, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT count(*) FROM (
                SELECT DISTINCT ON (key) payload->>'code' AS code FROM alerts
                WHERE payload->>'code' IN ('whale_quarantined', 'whale_released') AND event_time <= \(time.millis)
                ORDER BY key, event_time DESC) last
            WHERE code = 'whale_quarantined'
            """, logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}
