import Foundation
import RemoraRuntime
import RemoraTestSupport
import Testing

@Suite("remora validate scoring")
struct ValidateScoringCommandTests {
    @Test("prints the IC per month, the references beside the WQS, and says when v3 and v4 cannot differ")
    func report() async throws {
        let run = try ChildProcess([
            builtProductsDirectory.appendingPathComponent("remora").path, "validate", "scoring", "--wallets", "120", "--markets", "80",
            "--months", "4",
        ])
        #expect(await run.wait() == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("world: seed 7, 120 wallets, 80 markets, 4 months;") == true, "\(run.output)")
        let months = lines.filter { $0.hasPrefix("  month ") }
        #expect(!months.isEmpty && months.allSatisfy { $0.contains(": IC ") }, "\(run.output)")
        for reference in ["  true skill ", "  long-run expected return ", "  oracle (knows the month's trades) "] {
            #expect(lines.contains { $0.hasPrefix(reference) }, "\(reference)\n\(run.output)")
        }
        // The simulator's market makers only make and its takers only take: the two versions rank
        // the takers' trades alike, and the command says so rather than printing a zero difference.
        #expect(lines.contains { $0.contains("v4 = v3 here (no wallet with taker trades also makes markets in this world)") }, "\(run.output)")
        #expect(!lines.contains { $0.contains("v4 − v3, paired by month: IC +0.000 (t 0.00)") }, "\(run.output)")
    }
}
