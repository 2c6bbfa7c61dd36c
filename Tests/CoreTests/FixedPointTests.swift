import Foundation
import RemoraModel
import Testing

@Suite("Exact money")
struct FixedPointTests {
    @Test("decimal text round-trips", arguments: ["0", "1", "-1", "0.5", "12.345678", "-0.000001", "9999999.999999"])
    func roundTrip(text: String) throws {
        let value = try #require(USDC(decimal: text))
        #expect(value.description == text)
    }

    @Test("parsing", arguments: [
        ("0.50", 500_000 as Int64?), ("+3", 3_000_000), (".5", 500_000), ("0.1234567", nil), ("0.1234560", 123_456),
        ("", nil), ("-", nil), ("1.2.3", nil), ("1e3", nil), ("abc", nil), ("99999999999999", nil),
        ("9223372036854.9", nil), ("9223372036854.775807", Int64.max),
    ])
    func parsing(text: String, micros: Int64?) {
        #expect(USDC(decimal: text)?.micros == micros)
    }

    @Test("float noise rounds to the nearest micro-unit")
    func floatNoise() {
        #expect(Price(rounding: 0.21999995306666104)?.micros == 220_000)
        #expect(Price(rounding: 0.21999995306666104)?.rounded(toTick: Price(micros: 10_000)).micros == 220_000)
        #expect(Shares(rounding: 1e30) == nil)
        #expect(Shares(rounding: .nan) == nil)
    }

    @Test("cash value of shares truncates toward zero (the money policy); cash buys whole micro-shares")
    func valueAndShares() {
        let shares = Shares(micros: 3)  // 0.000003 shares
        #expect(shares.value(at: Price(micros: 500_000)).micros == 1)  // 1.5 micro → 1
        #expect((-shares).value(at: Price(micros: 500_000)).micros == -1)
        #expect(Shares(micros: 7).value(at: Price(micros: 999_999)).micros == 6)  // 6.999993 → 6
        let cash: USDC = 100
        let bought = cash.shares(at: Price(micros: 333_333))
        #expect(bought.micros == 300_000_300)  // floor(100 / 0.333333, 6 dp)
        #expect(bought.value(at: Price(micros: 333_333)) <= cash)
        // No overflow at a billion shares times a price.
        #expect(Shares(micros: 1_000_000_000 * microsPerUnit).value(at: Price(micros: 999_999)).micros == 999_999_000_000_000)
    }

    @Test("checked sums: a typed error where + and - would trap")
    func checked() throws {
        let big = USDC(micros: Int64.max - 1)
        #expect(try big.adding(USDC(micros: 1)).micros == Int64.max)
        #expect(throws: AmountOutOfRange.self) { try big.adding(USDC(micros: 2)) }
        #expect(throws: AmountOutOfRange.self) { try USDC(micros: Int64.min + 1).subtracting(USDC(micros: 2)) }
        #expect(try USDC(micros: 5).subtracting(USDC(micros: 7)).micros == -2)
    }

    @Test("JSON: decimal strings on the wire, numbers accepted on input")
    func json() throws {
        let encoded = String(decoding: try JSONEncoder().encode([USDC(micros: 1_500_000)]), as: UTF8.self)
        #expect(encoded == #"["1.5"]"#)
        let decoded = try JSONDecoder().decode([Price].self, from: Data(#"["0.42", 0.4199999]"#.utf8))
        #expect(decoded.map(\.micros) == [420_000, 420_000])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([USDC].self, from: Data(#"["1.0000001"]"#.utf8)) }
    }
}

@Suite("Partitioning and topics")
struct PartitioningTests {
    @Test("FNV-1a 64 mod 16 matches an independent computation")
    func stableHash() {
        // Expected values computed with a Python FNV-1a implementation.
        #expect(Partitioner.partition(of: "0x56687bf447db6ffa42ffe2204a05edaa20f55839") == 3)
        #expect(Partitioner.partition(of: "abc") == 11)
        #expect(Partitioner.partition(of: "") == 5)
    }

    @Test("topics are zero-padded so no partition's topic prefixes another's")
    func topics() {
        #expect(StreamName.trade.topic(partition: 1) == "trade.01")
        #expect(StreamName.trade.topic(partition: 15) == "trade.15")
        for stream in StreamName.allCases {
            for p in 0..<StreamName.partitionCount {
                let topic = stream.topic(partition: p)
                #expect(StreamName.parse(topic: topic)! == (stream, p))
                for other in StreamName.allCases where other != stream {
                    for q in 0..<StreamName.partitionCount { #expect(!other.topic(partition: q).hasPrefix(topic)) }
                }
            }
        }
        #expect(StreamName.parse(topic: "trade.16") == nil)
        #expect(StreamName.parse(topic: "nope.01") == nil)
    }

    @Test("identifiers are validated and lower-cased")
    func identifiers() {
        #expect(WalletAddress("0xABCDEF0123456789abcdef0123456789ABCDEF01")?.rawValue == "0xabcdef0123456789abcdef0123456789abcdef01")
        #expect(WalletAddress("0x123") == nil)
        #expect(ConditionID("0x" + String(repeating: "g", count: 64)) == nil)
    }
}
