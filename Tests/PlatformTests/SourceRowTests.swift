import Foundation
import RemoraModel
import RemoraRuntime
import Testing

@Suite("Source rows")
struct SourceRowTests {
    let row = #"{"proxyWallet":"0x56687BF447DB6FFA42FFE2204A05EDAA20F55839","side":"BUY","asset":"1234","conditionId":"0x\#(String(repeating: "a", count: 64))","size":12.5,"price":0.21999995306666104,"timestamp":1767225600,"outcomeIndex":1,"outcome":"No","transactionHash":"0xabc"}"#

    @Test("a Data API row becomes an exact trade (float noise rounded, wallet lower-cased)")
    func trade() throws {
        guard case .trade(let t) = try TradeSourceRow.parse(row, occurrence: { _ in 0 }) else {
            Issue.record("not a trade")
            return
        }
        #expect(t.price == Price(micros: 220_000))
        #expect(t.size == Shares(micros: 12_500_000))
        #expect(t.wallet.rawValue == "0x56687bf447db6ffa42ffe2204a05edaa20f55839")
        #expect(t.timestamp == EventTime(seconds: 1_767_225_600))
        #expect(t.outcomeIndex == 1)
    }

    @Test("bad rows fail with a reason", arguments: [
        "{not json", #"{"proxyWallet":"0x12"}"#, #"{"watermark":"soon"}"#,
    ])
    func bad(line: String) {
        #expect(throws: (any Error).self) { try TradeSourceRow.parse(line, occurrence: { _ in 0 }) }
    }

    @Test("watermark rows")
    func watermark() throws {
        guard case .watermark(let mark) = try TradeSourceRow.parse(#"{"watermark":123}"#, occurrence: { _ in 0 }) else {
            Issue.record("not a watermark")
            return
        }
        #expect(mark.millis == 123)
        guard case .resolution(let r) = try MarketSourceRow.parse(
            #"{"resolution":{"conditionId":"0x\#(String(repeating: "b", count: 64))","winner":null,"resolvedAt":9}}"#)
        else {
            Issue.record("not a resolution")
            return
        }
        #expect(r.outcome == .void)
    }

    @Test("every real /trades capture row decodes (skipped when ../shared is absent)")
    func realCaptures() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/polymarket/captures/data-api-trades.json").standardizedFileURL
        guard let data = FileManager.default.contents(atPath: path.path) else {
            print("skipping: \(path.path) is absent")
            return
        }
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [Any])
        #expect(rows.count >= 100)
        for (index, row) in rows.enumerated() {
            let line = String(decoding: try JSONSerialization.data(withJSONObject: row), as: UTF8.self)
            #expect(throws: Never.self, "row \(index)") { _ = try TradeSourceRow.parse(line, occurrence: { _ in 0 }) }
        }
    }

    @Test("NDJSON reader never returns a half-written line")
    func partialLines() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ndjson-\(UUID().uuidString)")
        try Data("{\"a\":1}\n{\"b\":2}\n{\"c\":".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let lines = try NDJSONFile(path: url.path).read(from: 0, maxLines: 10)
        #expect(lines.map(\.text) == [#"{"a":1}"#, #"{"b":2}"#])
        #expect(try NDJSONFile(path: url.path).read(from: lines[0].endOffset, maxLines: 10).map(\.text) == [#"{"b":2}"#])
    }
}
