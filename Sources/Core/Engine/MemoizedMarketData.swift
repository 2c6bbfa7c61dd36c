public import RemoraModel

/// A market-data source that answers each question once: a parameter sweep replays the same
/// trades many times, and the book, the series and the terms of a copy instant do not depend on
/// the thresholds being swept. Answers (problems included) are kept for the sweep's lifetime.
public actor MemoizedMarketData: MarketData {
    private struct SeriesKey: Hashable {
        var token: TokenID
        var from: EventTime
        var through: EventTime
        var fidelityMinutes: Int
    }
    private struct AtKey<Subject: Hashable>: Hashable {
        var subject: Subject
        var time: EventTime
    }

    private let source: any MarketData
    private var books: [AtKey<TokenID>: Result<OrderBook, MarketDataProblem>] = [:]
    private var series: [SeriesKey: Result<PriceSeries, MarketDataProblem>] = [:]
    private var terms: [AtKey<ConditionID>: Result<MarketTerms?, MarketDataProblem>] = [:]

    public init(_ source: any MarketData) { self.source = source }

    public func book(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> OrderBook {
        let key = AtKey(subject: token, time: time)
        if let known = books[key] { return try known.get() }
        let answer: Result<OrderBook, MarketDataProblem>
        do { answer = .success(try await source.book(of: token, at: time)) } catch { answer = .failure(error) }
        books[key] = answer
        return try answer.get()
    }

    public func series(
        of token: TokenID, from: EventTime, through: EventTime, fidelityMinutes: Int
    ) async throws(MarketDataProblem) -> PriceSeries {
        let key = SeriesKey(token: token, from: from, through: through, fidelityMinutes: fidelityMinutes)
        if let known = series[key] { return try known.get() }
        let answer: Result<PriceSeries, MarketDataProblem>
        do {
            answer = .success(try await source.series(of: token, from: from, through: through, fidelityMinutes: fidelityMinutes))
        } catch { answer = .failure(error) }
        series[key] = answer
        return try answer.get()
    }

    public func terms(of market: ConditionID, at time: EventTime) async throws(MarketDataProblem) -> MarketTerms? {
        let key = AtKey(subject: market, time: time)
        if let known = terms[key] { return try known.get() }
        let answer: Result<MarketTerms?, MarketDataProblem>
        do { answer = .success(try await source.terms(of: market, at: time)) } catch { answer = .failure(error) }
        terms[key] = answer
        return try answer.get()
    }
}
