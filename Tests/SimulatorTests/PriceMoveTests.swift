import Foundation
import Testing

@testable import RemoraSimulator

@Suite("Simulator: price moves")
struct PriceMoveTests {
    @Test("a move comes in over minutes and fades to nothing in two days")
    func weight() {
        #expect(PriceMove.weight(age: 0) == 0)
        #expect(PriceMove.weight(age: -5) == 0)
        // 1 − e^(−1) of the move after 5 minutes, less the fade's 300 / 172,800.
        #expect(abs(PriceMove.weight(age: 300) - (1 - exp(-1)) * (1 - 300.0 / 172_800)) < 1e-12)
        #expect(abs(PriceMove.weight(age: 86_400) - (1 - exp(-288)) * 0.5) < 1e-12)
        #expect(PriceMove.weight(age: 2 * 86_400) == 0)
        #expect(PriceMove.weight(age: 30) < PriceMove.weight(age: 60) && PriceMove.weight(age: 60) < PriceMove.weight(age: 600))
    }

    @Test("the midpoint is the path's, shifted in log-odds by the moves in force, four decimals")
    func midpoint() {
        let line = PriceHistoryLine(
            conditionId: "0x1", token: "1", start: 0, step: 3_600, p: [0.5, 0.5, 0.5],
            moves: [PriceMove(time: 100, shift: 2_000), PriceMove(time: 200, shift: -1_000)])
        #expect(line.midpoint(at: 100) == 0.5)
        let at = Int64(1_000)
        let shift = 0.2 * PriceMove.weight(age: 900) - 0.1 * PriceMove.weight(age: 800)
        let expected = ((1 / (1 + exp(-shift))) * 10_000).rounded() / 10_000
        #expect(line.midpoint(at: at) == expected)
        #expect(line.midpoint(at: at) > 0.5)
        // The served history carries the moves at its nodes; gone two days after the last.
        #expect(line.points(from: 3_600, to: 3_600, outcomeIndex: 0)[0].p == line.midpoint(at: 3_600))
        #expect(line.points(from: 3_600, to: 3_600, outcomeIndex: 1)[0].p == 1 - line.midpoint(at: 3_600))
        #expect(line.midpoint(at: 200 + 2 * 86_400) == 0.5)
    }

    @Test("prices.ndjson holds the moves exactly; a line without them reads as none")
    func fileRoundTrip() throws {
        var world = try WorldGenerator.generate(WorldParameters(seed: 5, wallets: 120, markets: 60, months: 2))
        let moved = try #require(world.markets.first { !$0.history.moves.isEmpty })
        let lines = WorldWriter.pricesData(world).split(separator: UInt8(ascii: "\n"))
        let decoded = try lines.map { try JSONDecoder().decode(PriceHistoryLine.self, from: Data($0)) }
        #expect(decoded == world.markets.map(\.history))
        #expect(decoded.contains { $0.conditionId == moved.truth.conditionId && $0.moves == moved.history.moves })
        let old = try JSONDecoder().decode(
            PriceHistoryLine.self, from: Data(#"{"conditionId":"0x1","token":"1","start":0,"step":60,"p":[0.5]}"#.utf8))
        #expect(old.moves.isEmpty)
        world.markets = []
        #expect(WorldWriter.pricesData(world).isEmpty)
    }
}
