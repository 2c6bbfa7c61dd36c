import Foundation
import RemoraRuntime
import RemoraTestSupport
import Testing

/// `remora validate var`: the risk guard's mVaR against the losses that followed, on simulated
/// years (docs/risk.md, "Validation").
@Suite("Validation of the book's mVaR")
struct ValidateVaRTests {
    @Test("over 4 simulated years the mVaR passes Kupiec and Christoffersen; the seed's wrong-tail formula is rejected")
    func kupiecAndChristoffersen() async throws {
        let run = try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "validate", "var", "--worlds", "4", "--months", "12"])
        #expect(await run.wait() == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        let guardLine = try #require(lines.first { $0.hasPrefix("mVaR (risk guard):") }, "\(run.output)")
        #expect(guardLine.hasSuffix("(not rejected at 5 %)"), "\(guardLine)")
        let independence = try #require(lines.first { $0.contains("Christoffersen independence:") })
        #expect(independence.hasSuffix("(not rejected)"), "\(independence)")
        // The exceptions are counted against 1 % of the days: a handful, not none and not dozens.
        let exceptions = try #require(Int(guardLine.split(separator: " ")[3]))
        let days = try #require(lines.first { $0.hasPrefix("days with a book") }.flatMap { Int($0.split(separator: " ")[4].dropLast()) })
        #expect(days > 1000 && exceptions > 0 && Double(exceptions) < Double(days) * 0.02, "\(exceptions) of \(days)")
        let seed = try #require(lines.first { $0.hasPrefix("seed formula's magnitude") })
        let pValue = try #require(seed.components(separatedBy: ", p ").dropFirst().first.flatMap { Double($0.split(separator: ";")[0]) })
        #expect(pValue < 1e-6, "\(seed)")
        #expect(lines.contains { $0.hasPrefix("  by positions held: 1 ") }, "\(run.output)")
    }

    @Test("a book of one fresh position passes too: the floor covers the jump its history does not hold")
    func concentrated() async throws {
        let run = try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "validate", "var", "--worlds", "4", "--months", "12", "--positions", "1"])
        #expect(await run.wait() == 0, "\(run.output)")
        let guardLine = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("mVaR (risk guard):") }, "\(run.output)")
        // Without the floor: 44 exceptions, 11.6 expected (Kupiec p ≈ 0).
        #expect(guardLine.hasSuffix("(not rejected at 5 %)"), "\(guardLine)")
    }
}
