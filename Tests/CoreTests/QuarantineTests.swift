import RemoraCore
import RemoraModel
import Testing

/// Quarantine as a fold of a whale's score history and the operators' approvals: each trigger at
/// and around its threshold, release conditions, approval by an operator or automatic.
@Suite("Quarantine: triggers, release, approval")
struct QuarantineTests {
    static let wallet = WalletAddress("0x00000000000000000000000000000000000000aa")!
    static let day = EventTime.day
    static func at(_ days: Double) -> EventTime { EventTime(millis: Int64(days * Double(day))) }
    static func point(_ days: Double, wqs: Double, drawdown: Double = 0.02, lossDay: Double? = nil) -> Quarantine.Point {
        Quarantine.Point(at: at(days), wqs: wqs, drawdown: drawdown, lastLossAt: lossDay.map(at))
    }
    static let auto = QuarantinePolicy(approval: .auto)
    static let manual = QuarantinePolicy(approval: .operator)

    func events(_ points: [Quarantine.Point], approvals: [QuarantineApproval] = [], through days: Double = 200, policy: QuarantinePolicy = Self.auto)
        -> [QuarantineEvent]
    {
        Quarantine.standing(of: Self.wallet, points: points, approvals: approvals, through: Self.at(days), policy: policy).events
    }

    @Test("a wallet never at the follow score is not quarantined, however low it scores")
    func onlyFollowedWhales() {
        #expect(events([Self.point(1, wqs: 70), Self.point(2, wqs: 10, drawdown: 0.5)]).isEmpty)
        // Followed from its first score at 75: then a fall below 50 quarantines it.
        let found = events([Self.point(1, wqs: 75), Self.point(2, wqs: 60), Self.point(9, wqs: 49.99)])
        #expect(found.map(\.kind) == [.quarantined])
        #expect(found.first?.triggers == [.scoreBelow])
        #expect(found.first?.at == Self.at(9))
    }

    @Test("each trigger at its threshold: WQS below 50, drawdown above 10 %, a fall of more than 25 points in 7 days")
    func triggersAtThresholds() {
        // Exactly 50 and exactly 10 % do not trigger; just past them does.
        #expect(events([Self.point(1, wqs: 80), Self.point(2, wqs: 60), Self.point(20, wqs: 50, drawdown: 0.10)]).isEmpty)
        #expect(events([Self.point(1, wqs: 80), Self.point(2, wqs: 60), Self.point(20, wqs: 49.99)]).first?.triggers == [.scoreBelow])
        #expect(events([Self.point(1, wqs: 80), Self.point(20, wqs: 70, drawdown: 0.1001)]).first?.triggers == [.drawdown])
        // A fall of exactly 25 within the window: no; 25.01: yes.
        #expect(events([Self.point(1, wqs: 90), Self.point(5, wqs: 65)]).isEmpty)
        let drop = events([Self.point(1, wqs: 90), Self.point(5, wqs: 64.99)])
        #expect(drop.first?.triggers == [.scoreDrop])
        #expect(drop.first?.detail.contains("90.0 → 64.99") == true)
        // The same fall over more than 7 days does not count; the score in force at the window's start does.
        #expect(events([Self.point(1, wqs: 90), Self.point(2, wqs: 80), Self.point(9.5, wqs: 64.99)]).isEmpty)
        #expect(events([Self.point(1, wqs: 90), Self.point(8.5, wqs: 64.99)]).first?.triggers == [.scoreDrop])
        // Several at once are all named.
        #expect(events([Self.point(1, wqs: 90), Self.point(3, wqs: 40, drawdown: 0.3)]).first?.triggers == [.scoreBelow, .drawdown, .scoreDrop])
    }

    @Test("release: WQS above 60 with no trigger, 7 days without a loss and in quarantine; automatic in a replay")
    func automaticRelease() {
        // Quarantined on day 10 (WQS 45, last loss day 9); recovers to 61 on day 12 — released on day 17.
        let found = events([Self.point(1, wqs: 80), Self.point(10, wqs: 45, lossDay: 9), Self.point(12, wqs: 61, lossDay: 9)])
        #expect(found.map(\.kind) == [.quarantined, .released])
        #expect(found.last?.at == Self.at(17))
        #expect(found.last?.approvedBy == "auto")
        // A loss on day 14 pushes it to day 21; a WQS of exactly 60 holds it.
        let later = events([Self.point(1, wqs: 80), Self.point(10, wqs: 45), Self.point(14, wqs: 61, lossDay: 14)])
        #expect(later.last?.at == Self.at(21))
        #expect(events([Self.point(1, wqs: 80), Self.point(10, wqs: 45), Self.point(12, wqs: 60)]).map(\.kind) == [.quarantined])
        // A drawdown still above 10 % holds it too.
        #expect(events([Self.point(1, wqs: 80), Self.point(10, wqs: 45), Self.point(12, wqs: 70, drawdown: 0.2)]).count == 1)
        // Not yet as of day 16.
        #expect(events([Self.point(1, wqs: 80), Self.point(10, wqs: 45), Self.point(12, wqs: 61)], through: 16.9).count == 1)
    }

    @Test("live: a release needs an operator's approval given during the quarantine, and takes effect when all hold")
    func operatorApproval() {
        let points = [Self.point(1, wqs: 80), Self.point(10, wqs: 45), Self.point(12, wqs: 61)]
        #expect(events(points, policy: Self.manual).map(\.kind) == [.quarantined])
        // Approved before the quarantine: does not stand for it.
        let early = QuarantineApproval(wallet: Self.wallet, at: Self.at(5), by: "ana", reason: "old")
        #expect(events(points, approvals: [early], policy: Self.manual).count == 1)
        // Approved on day 13, before the quiet days pass: released on day 17, by ana.
        let approval = QuarantineApproval(wallet: Self.wallet, at: Self.at(13), by: "ana", reason: "reviewed")
        let released = events(points, approvals: [approval], policy: Self.manual)
        #expect(released.last?.kind == .released)
        #expect(released.last?.at == Self.at(17))
        #expect(released.last?.approvedBy == "ana")
        // Approved on day 20: released then.
        let late = QuarantineApproval(wallet: Self.wallet, at: Self.at(20), by: "bo", reason: "reviewed")
        #expect(events(points, approvals: [late], policy: Self.manual).last?.at == Self.at(20))
        // Another wallet's approval does not count.
        let other = QuarantineApproval(wallet: WalletAddress("0x00000000000000000000000000000000000000bb")!, at: Self.at(13), by: "x", reason: "y")
        #expect(events(points, approvals: [other], policy: Self.manual).count == 1)
    }

    @Test("a released whale can be quarantined again; the gate names the quarantine in effect before the trade")
    func againAndGate() {
        let points = [Self.point(1, wqs: 80), Self.point(10, wqs: 45), Self.point(12, wqs: 61), Self.point(30, wqs: 30)]
        let found = events(points)
        #expect(found.map(\.kind) == [.quarantined, .released, .quarantined])
        #expect(Quarantine.inEffect(found, before: Self.at(10)) == nil)
        #expect(Quarantine.inEffect(found, before: Self.at(10.001))?.at == Self.at(10))
        #expect(Quarantine.inEffect(found, before: Self.at(20)) == nil)
        #expect(Quarantine.inEffect(found, before: Self.at(31))?.at == Self.at(30))
        // The whole history's events (a replay) are the fold's through any instant, cut there.
        #expect(Quarantine.events(of: Self.wallet, points: points, policy: Self.auto) == found)
        for cut in [5.0, 11, 16.5, 17, 25, 31] {
            #expect(events(points, through: cut) == found.filter { $0.at <= Self.at(cut) })
        }
        // The gate rejects the whale in stage 1 with reason `quarantined`, after the figure checks.
        let trade = StrategyTests.fill()
        let whale = StrategyTests.whale()
        let verdict = SignalGate.evaluate(
            trade, whale: whale, quarantine: found.first, market: StrategyTests.view(), copyAt: StrategyTests.copyAt,
            policy: StrategyTests.open)
        #expect(verdict.stage == .whale && verdict.reason == "quarantined")
        #expect(verdict.detail.contains("score_below"))
        let low = SignalGate.evaluate(
            trade, whale: StrategyTests.whale(wqs: 40), quarantine: found.first, market: StrategyTests.view(),
            copyAt: StrategyTests.copyAt, policy: StrategyTests.open)
        #expect(low.reason == "score_below_threshold")
        // The alert: one natural key per event.
        #expect(found[0].alertId != found[2].alertId)
        #expect(found[0].alert.code == "whale_quarantined" && found[1].alert.code == "whale_released")
    }

    @Test("the risk guard's view folds once per step and answers every instant as a fold through that instant does", arguments: [false, true])
    func viewFoldsOnce(manual: Bool) {
        let policy = manual ? Self.manual : Self.auto
        // Random walks of scores, drawdowns and losses over 120 days, with approvals here and there.
        var state: UInt64 = manual ? 11 : 7
        func unit() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var checked = 0
        var eventsSeen = 0
        for _ in 0..<40 {
            var points: [Quarantine.Point] = []
            var wqs = 60 + 30 * unit()
            var lastLoss: Double?
            var day = unit()
            while day < 120 {
                wqs = min(100, max(0, wqs + (unit() - 0.5) * 30))
                if unit() < 0.3 { lastLoss = day }
                points.append(Self.point(day, wqs: wqs, drawdown: 0.2 * unit(), lossDay: lastLoss))
                day += 0.2 + 3 * unit()
            }
            let approvals = (0..<4).map { _ in QuarantineApproval(wallet: Self.wallet, at: Self.at(120 * unit()), by: "ana", reason: "ok") }
            let horizon = Self.at(130)
            let view = QuarantineView(points: [Self.wallet: points.shuffled()], approvals: approvals, policy: policy, horizon: horizon)
            eventsSeen += view.standing(of: Self.wallet, through: horizon).events.count
            for hour in stride(from: Int64(0), through: 130 * 24, by: 7) {
                let t = EventTime(millis: hour * 3_600_000)
                let direct = Quarantine.standing(of: Self.wallet, points: points, approvals: approvals, through: t, policy: policy)
                #expect(view.standing(of: Self.wallet, through: t) == direct, "at \(t.utcText)")
                checked += 1
            }
            // Beyond the horizon it folds afresh; a wallet it has no points of stands clear.
            #expect(view.standing(of: Self.wallet, through: Self.at(200)) == Quarantine.standing(
                of: Self.wallet, points: points, approvals: approvals, through: Self.at(200), policy: policy))
            #expect(view.standing(of: WalletAddress("0x00000000000000000000000000000000000000bb")!, through: horizon).events.isEmpty)
        }
        #expect(checked > 10_000 && eventsSeen > 20, "\(checked) instants, \(eventsSeen) events")
    }
}
