// scorer — keeps per-wallet figures from settled trades and publishes `whale.score` with every
// change (the history is the stream table). Simplest real job: settled count, wins, realized P&L,
// volume and a smoothed win rate; the Whale Quality Score arrives with the scorer issue.
import Foundation
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

await RemoraService.main(
    service: "scorer", summary: "score wallets from settled trades, publish `whale.score`", httpPort: 7413, settings: []
) { environment in
    let logger = environment.logger
    let consumer = DurableConsumer(
        name: "scorer", stream: .tradeSettled, payload: TradeSettlement.self,
        partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment
    ) { messages, partition, upstream, connection in
        let wallets = Set(messages.map(\.1.wallet.rawValue)).sorted()
        var tallies: [String: WalletTally] = [:]
        let rows = try await connection.query(
            """
            SELECT wallet, settled_count, wins, realized_pnl_micros, volume_micros FROM wallet_stats
            WHERE wallet = ANY(\(wallets)) FOR UPDATE
            """, logger: logger)
        for try await (wallet, count, wins, pnl, volume) in rows.decode((String, Int, Int, Int64, Int64).self) {
            tallies[wallet] = WalletTally(
                settledCount: count, wins: wins, realizedPnl: USDC(micros: pnl), volume: USDC(micros: volume))
        }
        var records: [StreamRecord] = []
        var latest: [String: WhaleScore] = [:]
        for (_, settlement) in messages {
            let tally = (tallies[settlement.wallet.rawValue] ?? WalletTally()).adding(settlement)
            tallies[settlement.wallet.rawValue] = tally
            let score = WhaleScore(
                wallet: settlement.wallet, asOf: settlement.settledAt, settledCount: tally.settledCount,
                wins: tally.wins, realizedPnl: tally.realizedPnl, volume: tally.volume, score: tally.score,
                method: WalletTally.method)
            latest[settlement.wallet.rawValue] = score
            records.append(try StreamRecord(
                stream: .whaleScore, uid: "\(settlement.wallet.rawValue):\(settlement.tradeId)",
                key: settlement.wallet.rawValue, eventTime: settlement.settledAt, payload: score))
        }
        for (wallet, score) in latest {
            try await connection.run(
                """
                INSERT INTO wallet_stats (wallet, settled_count, wins, realized_pnl_micros, volume_micros, score, as_of)
                VALUES (\(wallet), \(score.settledCount), \(score.wins), \(score.realizedPnl.micros),
                        \(score.volume.micros), \(score.score), \(score.asOf.millis))
                ON CONFLICT (wallet) DO UPDATE SET settled_count = EXCLUDED.settled_count, wins = EXCLUDED.wins,
                    realized_pnl_micros = EXCLUDED.realized_pnl_micros, volume_micros = EXCLUDED.volume_micros,
                    score = EXCLUDED.score, as_of = GREATEST(wallet_stats.as_of, EXCLUDED.as_of)
                """, logger: logger)
        }
        return StepResult(
            consumed: messages.count, records: records,
            watermarks: upstream.map { [.whaleScore: ([partition], $0)] } ?? [:])
    }
    try await consumer.run()
}
