import Foundation
import RemoraBus
import RemoraModel
import Testing

@Suite("Envelope")
struct EnvelopeTests {
    static let trade = Trade(
        wallet: WalletAddress("0x56687bf447db6ffa42ffe2204a05edaa20f55839")!, side: .buy, asset: "123456",
        conditionId: ConditionID("0x" + String(repeating: "ab", count: 32))!, outcomeIndex: 0, outcome: "Yes",
        size: Shares(micros: 1_250_500_000), price: Price(micros: 420_000), timestamp: EventTime(seconds: 1_767_225_600),
        transactionHash: "0xfeed", title: "Will \"it\" happen?")

    @Test("the wire form parses back to the same header and payload, and decodes as Envelope<Trade>")
    func roundTrip() throws {
        let record = try StreamRecord(
            stream: .trade, uid: Self.trade.id, key: Self.trade.wallet.rawValue, eventTime: Self.trade.timestamp,
            payload: Self.trade)
        let stored = StoredMessage(
            stream: .trade, partition: record.partition, seq: 42, uid: record.uid, key: record.key,
            eventTime: record.eventTime, producedAt: EventTime(millis: 5), payload: record.payload)
        let parsed = try EnvelopeParser.parse(stored.envelopeJSON)
        #expect(parsed.seq == 42 && parsed.partition == record.partition && parsed.key == record.key)
        #expect(try parsed.decodePayload(as: Trade.self) == Self.trade)
        let envelope = try JSONDecoder().decode(Envelope<Trade>.self, from: Data(stored.envelopeJSON))
        #expect(envelope.schema == "trade.v1")
        #expect(envelope.stream == .trade)
        #expect(envelope.payload == Self.trade)
        #expect(envelope.eventTime == Self.trade.timestamp)
    }

    @Test("a trade's hand-written payload is byte for byte the canonical encoder's", arguments: [
        "Will \"it\" happen?", "Back\\slash, tab\tand newline\n", "Élection à Paris — 2026 / 27 ✓", "\u{01}control", "",
    ])
    func canonicalTrade(title: String) throws {
        var trade = Self.trade
        trade.title = title
        trade.outcome = "No/Yes \"maybe\""
        let expected = String(decoding: try JSONCoding.encoder.encode(trade), as: UTF8.self)
        #expect(trade.canonicalJSON == expected)
        #expect(try JSONDecoder().decode(Trade.self, from: Data(trade.canonicalJSON.utf8)) == trade)
    }

    @Test("a late trade's payload carries the flag, byte for byte the canonical encoder's; an on-time one does not")
    func lateTrade() throws {
        var trade = Self.trade
        #expect(!trade.canonicalJSON.contains("late"))
        trade.late = true
        #expect(trade.canonicalJSON == String(decoding: try JSONCoding.encoder.encode(trade), as: UTF8.self))
        #expect(trade.canonicalJSON.contains("\"late\":true"))
        #expect(try JSONDecoder().decode(Trade.self, from: Data(trade.canonicalJSON.utf8)) == trade)
    }

    @Test("a settlement's hand-written payload is byte for byte the canonical encoder's", arguments: [
        ("sports", "id:1", Int64(-1_234_567), SettlementResult.loss), ("a \"quoted\"/slashed\tcategory", "é\n✓", 0, .win),
        ("", "", 987_654_321, .void),
        // Long ids (the escape scan reads the string's bytes in place), with an escape only at the end.
        ("politics", String(repeating: "0x00ab:", count: 30), 1, .win), ("crypto", String(repeating: "0x00ab:", count: 30) + "\u{1F}", 2, .loss),
    ])
    func canonicalSettlement(category: String, tradeId: String, pnl: Int64, result: SettlementResult) throws {
        let settlement = TradeSettlement(
            tradeId: tradeId, wallet: Self.trade.wallet, conditionId: Self.trade.conditionId, category: category,
            side: .sell, size: Shares(micros: 1_250_500_000), price: Price(micros: 420_000), payout: Price(micros: 500_000),
            result: result, cost: USDC(micros: 525_210_000), fee: USDC(micros: 7), realizedPnl: USDC(micros: pnl),
            tradeTime: EventTime(millis: -5), settledAt: EventTime(millis: 1_767_225_600_123))
        let expected = String(decoding: try JSONCoding.encoder.encode(settlement), as: UTF8.self)
        #expect(settlement.canonicalJSON == expected)
        #expect(try JSONDecoder().decode(TradeSettlement.self, from: Data(settlement.canonicalJSON.utf8)) == settlement)
    }

    @Test("a foreign key order or trailing fields take the full parse and give the same message")
    func otherLayouts() throws {
        let payload = #"{"a":"}{\"","b":[1,{"c":2}]}"#
        let header = #""stream":"alert","partition":3,"seq":7,"key":"k","eventTime":1,"producedAt":2"#
        for body in [
            #"{"payload":\#(payload),\#(header)}"#, #"{\#(header),"payload":\#(payload),"extra":true}"#,
            #"{\#(header),"payload":\#(payload)}"#, #" {\#(header), "payload": \#(payload) } "#,
        ] {
            let parsed = try EnvelopeParser.parse(Array(body.utf8))
            #expect(parsed.seq == 7 && parsed.partition == 3 && parsed.key == "k")
            #expect(try parsed.decodePayload(as: JSONObject.self) == JSONObject(a: "}{\"", b: [1, 2]))
        }
    }

    struct JSONObject: Decodable, Equatable {
        var a: String
        var b: [Int]
        init(a: String, b: [Int]) { (self.a, self.b) = (a, b) }
        init(from decoder: any Decoder) throws {
            enum Keys: String, CodingKey { case a, b }
            struct C: Decodable { var c: Int }
            let container = try decoder.container(keyedBy: Keys.self)
            a = try container.decode(String.self, forKey: .a)
            var items = try container.nestedUnkeyedContainer(forKey: .b)
            b = [try items.decode(Int.self), try items.decode(C.self).c]
        }
    }

    @Test("malformed bodies are rejected with a reason", arguments: [
        "not json", "{}", #"{"stream":"trade","partition":99,"seq":1,"key":"k","eventTime":1,"producedAt":1,"payload":{}}"#,
        #"{"stream":"nope","partition":1,"seq":1,"key":"k","eventTime":1,"producedAt":1,"payload":{}}"#,
        #"{"stream":"trade","partition":1,"seq":1,"key":"k","eventTime":1,"producedAt":1,"payload":{}"#,
        #"{"stream":"trade","partition":1,"seq":1,"key":"k","eventTime":1,"producedAt":1,"payload":{"a":1}}}"#,
    ])
    func malformed(body: String) {
        #expect(throws: (any Error).self) { try EnvelopeParser.parse(Array(body.utf8)) }
    }

    @Test("fill keys separate fills that share a transaction hash")
    func fillKeys() {
        var second = Self.trade
        second = Trade(
            wallet: second.wallet, side: .buy, asset: second.asset, conditionId: second.conditionId, outcomeIndex: 0,
            outcome: "Yes", size: Shares(micros: 10_000_000), price: second.price, timestamp: second.timestamp,
            transactionHash: second.transactionHash)
        #expect(second.id != Self.trade.id)
        let repeatFill = Trade(
            wallet: second.wallet, side: .buy, asset: second.asset, conditionId: second.conditionId, outcomeIndex: 0,
            outcome: "Yes", size: second.size, price: second.price, timestamp: second.timestamp,
            transactionHash: second.transactionHash, occurrence: 1)
        #expect(repeatFill.id != second.id)
    }
}
