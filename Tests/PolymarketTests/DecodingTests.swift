import Foundation
import RemoraModel
import Testing

@testable import RemoraPolymarket

let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../../shared/polymarket/captures").standardizedFileURL
let capturesPresent = FileManager.default.fileExists(atPath: captures.path)

func capture(_ name: String) throws -> Data { try Data(contentsOf: captures.appendingPathComponent(name)) }

@Suite("Polymarket: decoding the real shapes")
struct DecodingTests {
    @Test("every real capture decodes with zero errors", .enabled(if: capturesPresent, "../shared/polymarket/captures is absent"))
    func captures() throws {
        let trades = try JSONDecoder().decode([DataAPITradeRow].self, from: capture("data-api-trades.json"))
        #expect(trades.count == 100)
        for row in trades { _ = try row.trade(occurrence: { _ in 0 }) }
        let activity = try JSONDecoder().decode([ActivityRow].self, from: capture("data-api-activity.json"))
        #expect(activity.count == 500)
        #expect(activity.filter { $0.type == "REDEEM" }.allSatisfy { $0.outcomeIndex == 999 && $0.asset.isEmpty && $0.tradeRow == nil })
        for row in activity.compactMap(\.tradeRow) { _ = try row.trade(occurrence: { _ in 0 }) }

        struct GammaCapture: Decodable { var markets: [GammaMarket] }
        let gamma = try JSONDecoder().decode(GammaCapture.self, from: capture("gamma-markets.json")).markets
        #expect(gamma.count == 200)
        for market in gamma {
            #expect(market.outcomes.count == market.clobTokenIds.count && market.outcomes.count == market.outcomePrices.count)
            #expect(market.outcomePrices.allSatisfy { Double($0) != nil })
            #expect(market.conditionId.count == 66)
        }
        let clob = try JSONDecoder().decode(ClobMarketsPage.self, from: capture("clob-markets.json"))
        #expect(clob.data.count == 1000)
        #expect(clob.data.contains { $0.closed && $0.winnerIndex != nil })
        let history = try JSONDecoder().decode(PriceHistory.self, from: capture("clob-prices-history.json"))
        #expect(!history.history.isEmpty && history.history.allSatisfy { $0.p > 0 && $0.p < 1 })
    }

    @Test("Gamma: lists inside strings, numbers as strings, closedTime without ISO 8601, fee schedule")
    func gammaTraps() throws {
        let json = #"""
            {"id":"517310","question":"Will it?","conditionId":"0xaf9d0e448129a9f657f851d49495ba4742055d80e0ef1166ba0ee81d4d594214",
             "outcomes":"[\"Yes\", \"No\"]","outcomePrices":"[\"0.5\", \"0.5\"]",
             "clobTokenIds":"[\"101676997363687199724245607342877036148401850938023978421879460310389391082353\", \"4153292802911610701832309484716814274802943278345248636922528170020319407796\"]",
             "volume":"1106596.587114","active":true,"closed":true,"closedTime":"2026-06-04 00:34:19+00",
             "umaResolutionStatuses":"[\"proposed\", \"disputed\", \"proposed\", \"resolved\"]",
             "orderPriceMinTickSize":0.001,"orderMinSize":5,"feesEnabled":true,"feeSchedule":{"rate":"0.03"},
             "events":[{"id":16282,"slug":"e"}]}
            """#
        let m = try JSONDecoder().decode(GammaMarket.self, from: Data(json.utf8))
        #expect(m.outcomes == ["Yes", "No"] && m.outcomePrices == ["0.5", "0.5"] && m.clobTokenIds.count == 2)
        #expect(m.volume == "1106596.587114" && m.tickSize == 0.001 && m.minOrderSize == 5)
        #expect(m.currentUMAStatus == "resolved" && m.umaResolutionStatuses.count == 4)
        #expect(m.closedAt == 1_780_533_259)
        #expect(m.takerFeeRate == 0.03 && m.events.first?.id == "16282")
        // A broken encoded list is an error with the key named, not silent emptiness.
        let broken = json.replacingOccurrences(of: #""outcomes":"[\"Yes\", \"No\"]""#, with: #""outcomes":"[\"Yes\", "#)
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(GammaMarket.self, from: Data(broken.utf8)) }
    }

    @Test("Data API: float noise rounds to the tick; REDEEM rows; ranks and timestamps as strings")
    func dataTraps() throws {
        let row = try JSONDecoder().decode(DataAPITradeRow.self, from: Data(#"""
            {"proxyWallet":"0x15980cf3adf0ccbfe3febec39e6b36e9a979e2b6","side":"BUY",
             "asset":"94095653069522705032933828493340661578040481346672859695216723901516023686218",
             "conditionId":"0x97a5aaea08ebf41e5036588cd57e4068a9c488368cc694201bbf1df1607e38f9",
             "size":13.636362,"price":0.21999995306666104,"timestamp":1770479519,"outcomeIndex":0,
             "transactionHash":"0x76c5cd80aec44e76535410d04aa442d4b745f982e1de707c18eda0f14032fbe2"}
            """#.utf8))
        let trade = try row.trade(occurrence: { _ in 0 })
        #expect(trade.price == Price(micros: 220_000) && trade.size == Shares(micros: 13_636_362))
        let redeem = try JSONDecoder().decode(ActivityRow.self, from: Data(#"""
            {"proxyWallet":"0x388537259dc9e693c1c9b96fdf07a63f6b7aca77","timestamp":"1774353087","conditionId":"0xa8","type":"REDEEM",
             "size":0,"usdcSize":"12.5","transactionHash":"0x2a","price":0,"asset":"","side":"","outcomeIndex":999}
            """#.utf8))
        #expect(redeem.tradeRow == nil && redeem.usdcSize == 12.5 && redeem.timestamp == 1_774_353_087)
        let leader = try JSONDecoder().decode(LeaderboardRow.self, from: Data(#"{"rank":"7","proxyWallet":"0xab","userName":"x","vol":1000.5,"pnl":"-3.25"}"#.utf8))
        #expect(leader.rank == 7 && leader.pnl == -3.25)
    }

    @Test("CLOB book: every number a string; the best level is the last, found by price not position")
    func bookTraps() throws {
        let book = try JSONDecoder().decode(ClobBook.self, from: Data(#"""
            {"market":"0x97","asset_id":"9409","timestamp":"1770479519123","hash":"ab",
             "bids":[{"price":"0.18","size":"100"},{"price":"0.2","size":"50.5"},{"price":"0.21","size":"10"}],
             "asks":[{"price":"0.3","size":"100"},{"price":"0.25","size":"40"},{"price":"0.23","size":"12"}],
             "min_order_size":"5","tick_size":"0.01","neg_risk":false,"last_trade_price":"0.22"}
            """#.utf8))
        #expect(book.timestamp == 1_770_479_519_123 && book.tickSize == 0.01 && book.minOrderSize == 5)
        #expect(book.bestBid == ClobBook.Level(price: 0.21, size: 10))
        #expect(book.bestAsk == ClobBook.Level(price: 0.23, size: 12))
        #expect(book.bids.first?.price == 0.18, "kept in the order sent")
        // In micro-units the book is best first on both sides, with the market's tick and minimum.
        let ours = try book.orderBook()
        #expect(ours.bids.map(\.price) == ["0.21", "0.2", "0.18"].map { Price(decimal: $0)! })
        #expect(ours.asks.map(\.price) == ["0.23", "0.25", "0.3"].map { Price(decimal: $0)! })
        #expect(ours.bids[1].size == Shares(decimal: "50.5")! && ours.minimumOrder == Shares(decimal: "5")!)
        #expect(ours.midpoint == Price(decimal: "0.22")!)
        // A crossed answer is refused with its reason, never walked.
        let crossed = try JSONDecoder().decode(ClobBook.self, from: Data(#"""
            {"asset_id":"1","bids":[{"price":"0.5","size":"1"}],"asks":[{"price":"0.4","size":"1"}],"tick_size":"0.01"}
            """#.utf8))
        #expect(throws: OrderBookProblem.crossed(bestBid: Price(decimal: "0.5")!, bestAsk: Price(decimal: "0.4")!)) { try crossed.orderBook() }
    }

    @Test("Gamma times in every shape seen")
    func times() {
        #expect(parseGammaTime("2026-06-04 00:34:19+00") == 1_780_533_259)
        #expect(parseGammaTime("2026-06-04T00:34:19Z") == 1_780_533_259)
        #expect(parseGammaTime("2025-01-05T18:49:12.543209Z") == 1_736_102_952)
        #expect(parseGammaTime("2025-12-31") == 1_767_139_200)
        #expect(parseGammaTime("soon") == nil)
        #expect(parseHTTPDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(parseHTTPDate("Sat, 28 Nov 2026 01:13:14 GMT") == 1_795_828_394)
        #expect(parseHTTPDate("yesterday") == nil)
    }
}

@Suite("Polymarket: the fast /trades reader agrees with JSONDecoder")
struct TradeRowScannerTests {
    func both(_ text: String) throws -> ([String], [String]) {
        let fast = try #require(TradeRowScanner.entries(Array(text.utf8)), "the fast reader gave up")
        let slow = try JSONDecoder().decode([LenientTradeRow].self, from: Data(text.utf8)).map(\.entry)
        func describe(_ entries: [PolymarketClient.TradesPage.Entry]) -> [String] {
            entries.map { entry in
                switch entry {
                case .row(let r): "\(r.proxyWallet)|\(r.side)|\(r.asset)|\(r.conditionId)|\(r.size)|\(r.price)|\(r.timestamp)|\(r.title ?? "nil")|\(r.outcome ?? "nil")|\(r.outcomeIndex)|\(r.transactionHash)"
                case .undecodable: "undecodable"
                }
            }
        }
        return (describe(fast), describe(slow))
    }

    @Test("the real capture, field for field", .enabled(if: capturesPresent, "../shared/polymarket/captures is absent"))
    func capture() throws {
        let text = String(decoding: try RemoraPolymarketTests.capture("data-api-trades.json"), as: UTF8.self)
        let (fast, slow) = try both(text)
        #expect(fast.count == 100 && fast == slow)
    }

    @Test("escapes, unicode, extra and nested keys, a row of the wrong shape")
    func traps() throws {
        let text = #"""
            [ {"proxyWallet":"0xab","side":"BUY","asset":"1","conditionId":"0xcd","size":1e2,"price":0.21999995306666104,
               "timestamp":1770479519,"title":"Say \"hi\" \\ \u00e9\ud83d\ude00 / ok","outcome":null,"outcomeIndex":1,
               "transactionHash":"0x1","extra":{"a":[1,2,{"b":null}]},"flag":true},
              {"proxyWallet":"0xab","side":"SELL","asset":"2","conditionId":"0xcd","size":"12","price":0.5,
               "timestamp":1770479519,"outcomeIndex":0,"transactionHash":"0x2"} ]
            """#
        let (fast, slow) = try both(text)
        #expect(fast == slow)
        #expect(fast[1] == "undecodable" && fast[0].contains("Say \"hi\" \\ é😀 / ok"))
        #expect(TradeRowScanner.entries(Array(#"{"error":"Too Many Requests"}"#.utf8)) == nil)
        #expect(TradeRowScanner.entries(Array("[{\"a\":1},".utf8)) == nil, "truncated")
        #expect(TradeRowScanner.entries(Array("[]".utf8))?.isEmpty == true)
    }
}
