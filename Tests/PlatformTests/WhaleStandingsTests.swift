import Foundation
import RemoraCore
import RemoraModel
import RemoraStore
import RemoraTestSupport
import Testing

/// What the signal gate reads of a whale's position before an order, from PostgreSQL: its fills,
/// and the "Yes" its negative-risk conversions paid — as the in-process replay counts them.
@Suite("Whale standings: positions from fills and conversions")
struct WhaleStandingsTests {
    static let wallet = WalletAddress("0x" + String(repeating: "5", count: 40))!

    static func market(_ letter: Character, yes: TokenID, no: TokenID, event: String?) -> Market {
        Market(conditionId: ConditionID("0x" + String(repeating: letter, count: 64))!, question: "?", category: "politics",
               outcomes: ["Yes", "No"], tokenIds: [yes, no], endDate: nil, tickSize: Price(micros: 10_000), negRiskEvent: event)
    }

    static func fill(_ market: Market, outcome: Int, side: Side, shares: Int64, at seconds: Int64, hash: String) -> Trade {
        Trade(wallet: wallet, side: side, asset: market.tokenIds[outcome], conditionId: market.conditionId, outcomeIndex: outcome,
              outcome: market.outcomes[outcome], size: Shares(micros: shares * microsPerUnit), price: Price(micros: 400_000),
              timestamp: EventTime(seconds: seconds), transactionHash: hash)
    }

    @Test("a conversion's \"Yes\" count in the store's standings as in the replay: a later sale is an exit of them, a buy of their \"No\" pairs them off")
    func conversionLegs() async throws {
        let a = Self.market("a", yes: "70", no: "71", event: "e1")
        let b = Self.market("b", yes: "80", no: "81", event: "e1")
        let c = Self.market("c", yes: "90", no: "91", event: "e1")
        let elsewhere = Self.market("d", yes: "60", no: "61", event: nil)
        let trades = [
            Self.fill(a, outcome: 1, side: .buy, shares: 20_000, at: 1_000, hash: "0xa1"),
            Self.fill(elsewhere, outcome: 0, side: .buy, shares: 500, at: 1_000, hash: "0xd1"),
            Trade.conversion(
                wallet: Self.wallet, asset: "71", conditionId: a.conditionId, outcomeIndex: 1, outcome: "No",
                size: Shares(micros: 8_000 * microsPerUnit), timestamp: EventTime(seconds: 3_000), transactionHash: "0xc0"),
            Self.fill(b, outcome: 0, side: .sell, shares: 2_000, at: 4_000, hash: "0xb1"),
            Self.fill(c, outcome: 1, side: .buy, shares: 4_000, at: 5_000, hash: "0xc1"),
            // At the conversion's own instant: not yet paid (positions are strictly before).
            Self.fill(b, outcome: 0, side: .sell, shares: 1, at: 3_000, hash: "0xb0"),
        ]
        let configuration = try await TestPostgres.freshDatabase()
        let standings = try await Store.withRunning(configuration, logger: TestPostgres.testLogger) { store in
            try await store.transaction { connection in
                try await MarketStore.upsert([a, b, c, elsewhere], at: 0, on: connection, logger: TestPostgres.testLogger)
                _ = try await StreamStore.append(
                    try trades.map { try StreamRecord(stream: .trade, uid: $0.id, key: $0.wallet.rawValue, eventTime: $0.timestamp, payload: $0) },
                    producedAt: EventTime(seconds: 6_000), on: connection, logger: TestPostgres.testLogger)
                return try await WhaleExitStore.standings(of: trades, followFrom: 75, on: connection, logger: TestPostgres.testLogger)
            }
        }
        // The conversion: against the No bought.
        #expect(standings[trades[2].id]?.positionBefore == 20_000)
        // B's Yes sold: the 8,000 paid, less the share sold at the conversion's instant.
        #expect(standings[trades[3].id]?.positionBefore == 7_999, "\(String(describing: standings[trades[3].id]))")
        // C's No bought: the Yes held is the other outcome, all of it paid by the conversion.
        let pairing = try #require(standings[trades[4].id]?.complement)
        #expect(pairing.token == "90" && pairing.outcome == 0 && pairing.held == 8_000)
        // The same instant as the conversion: not counted yet.
        #expect(standings[trades[5].id]?.positionBefore == .zero)
        // A market of no event receives nothing.
        #expect(standings[trades[1].id]?.positionBefore == .zero)

        // The replay's reckoning, from the same markets: the same figures.
        let legs = ConversionLegs(markets: [a, b, c, elsewhere])
        #expect(legs.paid(byConversionIn: a.conditionId).map(\.yes).sorted() == ["80", "90"])
    }
}
