import Foundation
import RemoraCore
import RemoraRuntime
import RemoraTestSupport
import Testing

@Suite("remora validate gate")
struct ValidateGateCommandTests {
    @Test("prints the gate's and the naive rule's figures; every trade is counted once, passed or under one reason")
    func table() async throws {
        let run = try ChildProcess([
            builtProductsDirectory.appendingPathComponent("remora").path, "validate", "gate", "--wallets", "80", "--markets", "60",
            "--months", "3", "--min-score", "20", "--min-notional", "100", "--resamples", "200",
        ])
        #expect(await run.wait() == 0, "\(run.output)")
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
        #expect(lines.contains { $0.hasPrefix("gate, edge, without quarantine") } && lines.contains { $0.hasPrefix("gate, edge, with win rate > base") })
        // The same rules over the trades the gate chooses among, no more passed there than overall.
        let chosenAmong = try #require(lines.first { $0.hasPrefix("over the ") && $0.contains("taker buys of wallets with a score") })
        let buys = try #require(Self.number(after: "over the ", in: chosenAmong))
        #expect(buys > 0 && buys < trades, "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("quarantine (releases approved automatically)") } && lines.contains { $0.hasPrefix("  score_drop") })
        // --min-score 20 moves quarantine's levels with it (50 and 60 of 75), as --tune does.
        #expect(lines.contains { $0.contains("put aside below WQS 13.33, released at 16.00") }, "\(run.output)")
    }

    @Test("--tune ranks the grid on one world and measures the chosen thresholds and the roadmap's on the hold-out world")
    func tune() async throws {
        let run = try ChildProcess([
            builtProductsDirectory.appendingPathComponent("remora").path, "validate", "gate", "--tune", "--wallets", "100", "--markets", "80",
            "--months", "6", "--seed", "5", "--holdout", "4", "--resamples", "50",
        ])
        #expect(await run.wait() == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        let sets = GateTuning.grid(base: GatePolicy()).count
        #expect(lines.first?.contains("\(sets) threshold sets") == true, "\(run.output)")
        // On this world some sets pass trades: the chosen one is the ranking's first, and it, the
        // roadmap's thresholds and the naive rule are measured on the hold-out world.
        let chosen = try #require(lines.first { $0.hasPrefix("chosen: ") }, "\(run.output)")
        let first = try #require(lines.first { $0.hasPrefix("   1  ") })
        #expect(first.contains(String(chosen.dropFirst("chosen: ".count))), "\(run.output)")
        #expect(lines.contains { $0.hasPrefix("   4  chosen") } && lines.contains { $0.hasPrefix("   4  roadmap") }
            && lines.contains { $0.hasPrefix("   4  naive top decile") }, "\(run.output)")
        // A hold-out world must not be the tuning one.
        let same = try ChildProcess([
            builtProductsDirectory.appendingPathComponent("remora").path, "validate", "gate", "--tune", "--wallets", "80", "--markets", "60",
            "--months", "3", "--seed", "3", "--holdout", "3",
        ])
        #expect(await same.wait() != 0 && same.output.contains("must not contain the tuning seed"), "\(same.output)")
    }

    @Test("--min-settled moves the whale gate's minimum of settled taker trades")
    func minSettled() async throws {
        func run(_ settled: Int) async throws -> [String] {
            let run = try ChildProcess([
                builtProductsDirectory.appendingPathComponent("remora").path, "validate", "gate", "--wallets", "80", "--markets", "60",
                "--months", "3", "--min-score", "20", "--min-notional", "100", "--min-settled", "\(settled)", "--resamples", "10",
            ])
            #expect(await run.wait() == 0, "\(run.output)")
            return run.output.split(separator: "\n").map(String.init)
        }
        func tooFew(_ lines: [String]) -> Int {
            lines.first { $0.hasPrefix("  whale/too_few_settled_trades") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        }
        let none = try await run(0)
        #expect(none.first?.contains("settled ≥ 0") == true && tooFew(none) == 0, "\(none.joined(separator: "\n"))")
        let ten = try await run(10)
        #expect(tooFew(ten) > 0, "\(ten.joined(separator: "\n"))")
    }

    static func number(after prefix: String, in line: String) -> Int? {
        guard let range = line.range(of: prefix) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
