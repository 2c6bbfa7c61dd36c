import RemoraCore
import RemoraModel
import Testing

@Suite("Execution: the executor behind the risk guard's fills")
struct ExecutorTests {
    static let time = EventTime(millis: 20_400 * EventTime.day + 12 * 3_600_000)
    static let market = ConditionID("0x" + String(repeating: "6", count: 64))!
    static let whale = WalletAddress("0x" + String(repeating: "3", count: 40))!

    static func book() throws -> OrderBook {
        var book = try OrderBook(
            bids: [DepthLevel(price: Price(micros: 600_000), size: 100), DepthLevel(price: Price(micros: 500_000), size: 500)],
            asks: [DepthLevel(price: Price(micros: 620_000), size: 50), DepthLevel(price: Price(micros: 700_000), size: 5_000)],
            tick: Price(micros: 10_000))
        book.asOf = time
        return book
    }

    @Test("paper: a sale walks the bids level by level and pays the taker fee at each level's price")
    func paperSale() throws {
        let report = PaperExecutor().execute(.sell(shares: 300), against: try Self.book(), takerFeeBps: 200)
        #expect(report.walk.fills.map(\.shares) == [100, 200])
        #expect(report.walk.cash == 160)  // 100 × 0.60 + 200 × 0.50
        // 100 × 0.02 × 0.6 × 0.4 + 200 × 0.02 × 0.5 × 0.5 = 0.48 + 1.00 (worked by hand).
        #expect(report.fee == USDC(micros: 1_480_000))
        #expect(PaperExecutor().execute(.sell(shares: 300), against: try Self.book(), takerFeeBps: 0).fee == .zero)
    }

    /// A venue that fills at most 10 shares at its best level, with no fee.
    struct TenShares: Executor {
        func execute(_ order: ExecutionOrder, against book: OrderBook, takerFeeBps: Int) -> ExecutionReport {
            switch order {
            case .buy: ExecutionReport(walk: BookWalk.take(.buy, shares: 10, from: book), fee: .zero)
            case .sell(let shares): ExecutionReport(walk: BookWalk.take(.sell, shares: min(shares, 10), from: book), fee: .zero)
            }
        }
    }

    @Test("the risk guard books what its executor filled, not what it asked for: another executor plugs in unchanged")
    func pluggable() throws {
        let order = ProposedOrder(
            orderId: "o", tradeId: "t", wallet: Self.whale, conditionId: Self.market, asset: "T", outcomeIndex: 0, side: .buy,
            limitPrice: Price(micros: 620_000), fractionPpm: 20_000, tradeTime: Self.time)
        let start = Book(initialCash: 100_000)
        let daily = Marks().covering(start, at: Self.time)
        let (paper, _) = RiskGuard.decide(
            order, book: start, policy: RiskPolicy(maxExposurePpm: 950_000, priceBand: 0.2), at: Self.time,
            market: .success(try Self.book()), daily: daily)
        #expect(paper.status == .filled && paper.fillShares > 50, "\(paper)")
        let (venue, after) = RiskGuard.decide(
            order, book: start, policy: RiskPolicy(maxExposurePpm: 950_000, priceBand: 0.2), at: Self.time,
            market: .success(try Self.book()), daily: daily, executor: TenShares())
        #expect(venue.status == .filled && venue.fillShares == 10 && venue.fillPrice == Price(micros: 620_000))
        #expect(after?.positions["T"]?.shares == 10 && after?.cash == USDC(micros: 100_000_000_000 - 6_200_000))
    }
}

extension RiskPolicy {
    init(maxExposurePpm: Int64, priceBand: Double) {
        self.init(maxExposurePpm: maxExposurePpm)
        priceBandMicros = Int64(priceBand * 1_000_000)
    }
}
