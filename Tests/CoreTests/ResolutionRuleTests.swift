import RemoraCore
import RemoraModel
import Testing

@Suite("Resolution: how a market's result is known")
struct ResolutionRuleTests {
    func verdict(_ closed: Bool, _ status: String?, _ prices: [String]) -> ResolutionVerdict {
        ResolutionRule.verdict(MarketReport(closed: closed, umaStatus: status, outcomePrices: prices))
    }

    @Test("winners, voids, and the states that must wait")
    func cases() {
        #expect(verdict(true, "resolved", ["1", "0"]) == .resolved(.winner(index: 0)))
        #expect(verdict(true, "resolved", ["0", "1"]) == .resolved(.winner(index: 1)))
        #expect(verdict(true, "resolved", ["0.5", "0.5"]) == .resolved(.void), "a resolver that waits for 0/1 waits forever")
        #expect(verdict(true, "resolved", ["0", "0"]) == .askCLOB)
        #expect(verdict(false, "resolved", ["1", "0"]) == .waiting("open"))
        #expect(verdict(true, nil, ["0.97", "0.03"]) == .waiting("closed, no answer proposed yet"))
        #expect(verdict(true, "proposed", ["1", "0"]) == .waiting("proposed, in the challenge window"))
        #expect(verdict(true, "disputed", ["1", "0"]) == .waiting("disputed"))
        #expect(verdict(true, "Resolved", ["1", "0", "0"]) == .resolved(.winner(index: 0)), "multi-outcome, case of the status")
        if case .unresolvable = verdict(true, "resolved", ["0.6", "0.4"]) {} else { Issue.record("0.6/0.4 is no result") }
        if case .unresolvable = verdict(true, "resolved", ["1"]) {} else { Issue.record("one price is no result") }
        if case .unresolvable = verdict(true, "resolved", ["x", "1"]) {} else { Issue.record("unreadable prices") }
    }

    @Test("the CLOB fallback needs exactly one winner")
    func clob() {
        #expect(ResolutionRule.verdict(clobWinners: [false, true]) == .resolved(.winner(index: 1)))
        if case .unresolvable = ResolutionRule.verdict(clobWinners: [false, false]) {} else { Issue.record("no winner") }
        if case .unresolvable = ResolutionRule.verdict(clobWinners: [true, true]) {} else { Issue.record("two winners") }
    }
}
