/// A token bucket: at most `capacity` requests per `window`, refilled continuously, so bursts up
/// to the capacity pass at once and a steady caller is held to the documented rate. Callers
/// past the budget wait (they are not refused).
public actor RequestBudget {
    public let capacity: Double
    public let window: Duration
    private var tokens: Double
    private var updated: ContinuousClock.Instant
    private let clock = ContinuousClock()

    public init(requests: Int, per window: Duration) {
        capacity = Double(requests)
        self.window = window
        tokens = Double(requests)
        updated = clock.now
    }

    /// Takes one token, waiting for it when the bucket is empty.
    public func acquire() async throws {
        while true {
            refill()
            if tokens >= 1 {
                tokens -= 1
                return
            }
            let perSecond = capacity / seconds(window)
            try await Task.sleep(for: .seconds((1 - tokens) / perSecond))
        }
    }

    private func refill() {
        let now = clock.now
        let elapsed = seconds(now - updated)
        updated = now
        tokens = min(capacity, tokens + elapsed * capacity / seconds(window))
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// The documented budgets per 10 seconds (../shared/polymarket/README.md). Endpoints share the
/// API's overall budget and have their own.
public struct RequestBudgets: Sendable {
    public let dataOverall: RequestBudget
    public let dataTrades: RequestBudget
    public let dataPositions: RequestBudget
    public let gammaOverall: RequestBudget
    public let gammaMarkets: RequestBudget
    public let gammaEvents: RequestBudget
    public let clobBook: RequestBudget
    public let clobPriceHistory: RequestBudget
    public let clobOther: RequestBudget

    /// `scale` multiplies every budget (below 1 leaves headroom for other clients of the same IP);
    /// `priceHistoryScale`, when given, the `/prices-history` budget instead (a replay asks the
    /// stub for books freely but keeps history at the CLOB's documented rate).
    public init(scale: Double = 1, priceHistoryScale: Double? = nil) {
        func budget(_ n: Int) -> RequestBudget { RequestBudget(requests: max(1, Int(Double(n) * scale)), per: .seconds(10)) }
        dataOverall = budget(1000)
        dataTrades = budget(200)
        dataPositions = budget(150)
        gammaOverall = budget(4000)
        gammaMarkets = budget(300)
        gammaEvents = budget(500)
        clobBook = budget(1500)
        clobPriceHistory = RequestBudget(requests: max(1, Int(1000 * (priceHistoryScale ?? scale))), per: .seconds(10))
        clobOther = budget(1000)
    }
}
