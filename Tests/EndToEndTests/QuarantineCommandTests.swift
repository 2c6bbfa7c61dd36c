import Foundation
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import RemoraTestSupport
import Testing

/// `remora quarantine` in live mode on a real database: a whale the scorer's history quarantines
/// waits for an operator's approval, which the command records and which releases it.
@Suite("remora quarantine")
struct QuarantineCommandTests {
    @Test("list shows the quarantine and what it waits for; release records the approval and frees the whale")
    func listAndRelease() async throws {
        let database = try await TestPostgres.freshDatabase()
        let wallet = WalletAddress("0x00000000000000000000000000000000000000c1")!
        let now = EventTime.wallClockNow
        func daysAgo(_ days: Int64) -> EventTime { now.adding(millis: -days * EventTime.day) }
        // Followed at 80; 40 (below 50, and a fall of 40 in a week) quarantines it 20 days ago;
        // back at 70 with its last losing day 16 days ago: only an operator's approval is missing.
        let scores: [(EventTime, Double, EventTime?)] = [(daysAgo(30), 80, nil), (daysAgo(20), 40, daysAgo(21)), (daysAgo(15), 70, daysAgo(16))]
        let records = try scores.map { at, wqs, loss in
            try StreamRecord(
                stream: .whaleScore, uid: "\(wallet.rawValue):\(at.millis)", key: wallet.rawValue, eventTime: at,
                payload: WhaleScore(
                    wallet: wallet, asOf: at, settledCount: 40, wins: 22, realizedPnl: 100, volume: 10_000, score: wqs,
                    method: "test",
                    figures: WhaleFigures(
                        wqs: wqs, settledTrades: 40, sharpe30: 1, sharpe90: 1, currentDrawdown: 0.02, bayesianWinRate: 0.55,
                        winRateLow: 0.5, baseRate: 0.5, edge: TradeEdge(), lastLossAt: loss)))
        }
        try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            _ = try await store.transaction { connection in
                try await StreamStore.append(records, producedAt: now, on: connection, logger: store.logger)
            }
        }
        let cli = builtProductsDirectory.appendingPathComponent("remora").path
        let environment = ["DATABASE_URL": TestPostgres.url(of: database), "REMORA_EVENT_TIME": "live"]
        func run(_ arguments: [String]) async throws -> (Int32, String) {
            let child = try ChildProcess([cli, "quarantine"] + arguments, environment: environment)
            return (await child.wait(), child.output)
        }
        let (listed, list) = try await run(["list"])
        #expect(listed == 0, "\(list)")
        #expect(list.contains("1 whales followed") && list.contains("1 in quarantine"), "\(list)")
        #expect(list.contains("(score_below, score_drop)") && list.contains("awaiting an operator's approval"), "\(list)")

        let (refused, refusal) = try await run(["release", "0x00000000000000000000000000000000000000c2", "--by", "ana", "--reason", "reviewed"])
        #expect(refused != 0 && refusal.contains("is not in quarantine"), "\(refusal)")
        let (released, release) = try await run(["release", wallet.rawValue, "--by", "ana", "--reason", "reviewed the fills"])
        #expect(released == 0, "\(release)")
        #expect(release.contains("approved by ana") && release.contains("released"), "\(release)")

        let (_, after) = try await run(["list", "--all"])
        #expect(after.contains("0 in quarantine") && after.contains("released (approved by ana)"), "\(after)")
        let approvals = try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            var rows: [String] = []
            for try await (by, reason) in try await store.client.query("SELECT approved_by, reason FROM quarantine_approvals").decode((String, String).self) {
                rows.append("\(by): \(reason)")
            }
            return rows
        }
        #expect(approvals == ["ana: reviewed the fills"])
    }
}
