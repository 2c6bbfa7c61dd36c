import Foundation
import RemoraRuntime
import RemoraTestSupport
import Testing

@Suite("remora validate gate")
struct ValidateGateCommandTests {
    @Test("prints the gate's and the naive rule's figures; every trade is counted once, passed or under one reason")
    func table() throws {
        let run = try ChildProcess([
            builtProductsDirectory.appendingPathComponent("remora").path, "validate", "gate", "--wallets", "80", "--markets", "60",
            "--months", "3", "--min-score", "20", "--min-notional", "100", "--resamples", "200",
        ])
        #expect(run.wait() == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        let trades = try #require(lines.first.flatMap { Self.number(after: "months: ", in: $0) }, "\(run.output)")
        let gate = try #require(lines.first { $0.hasPrefix("gate, p = price + shrunk edge") })
        let passed = try #require(Int(gate.dropFirst(38).split(separator: " ").first ?? ""), "\(gate)")
        #expect(lines.contains { $0.hasPrefix("gate, p = 0.7 win rate") } && lines.contains { $0.hasPrefix("naive: top decile") })
        // The reasons table accounts for every rejected trade of the first rule.
        guard let start = lines.firstIndex(where: { $0.contains("rejections by stage and reason") }) else {
            Issue.record("no reasons table: \(run.output)")
            return
        }
        let rejected = lines[(start + 1)...].prefix { $0.hasPrefix("  ") }
            .compactMap { Int($0.split(separator: " ").dropFirst().first ?? "") }.reduce(0, +)
        #expect(rejected + passed == trades, "\(rejected) rejected + \(passed) passed ≠ \(trades) trades\n\(run.output)")
        #expect(run.output.contains("whale/unscored_wallet"))
        #expect(lines.contains { $0.hasPrefix("gate, edge, without quarantine") })
        #expect(lines.contains { $0.hasPrefix("quarantine (releases approved automatically)") } && lines.contains { $0.hasPrefix("  score_drop") })
    }

    static func number(after prefix: String, in line: String) -> Int? {
        guard let range = line.range(of: prefix) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
