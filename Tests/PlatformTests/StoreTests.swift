import Foundation
import PostgresNIO
import RemoraCore
import RemoraModel
import RemoraStore
import RemoraTestSupport
import Synchronization
import Testing

@Suite("PostgreSQL store", .serialized)
struct StoreTests {
    let logger = TestPostgres.testLogger

    func record(_ uid: String, key: String = "wallet-a", at time: Int64 = 1) -> StreamRecord {
        StreamRecord(stream: .alert, uid: uid, key: key, eventTime: EventTime(millis: time), payload: #"{"n":"\#(uid)"}"#)
    }

    @Test("migrations: concurrent starts apply each file once")
    func concurrentMigrations() async throws {
        let configuration = try await TestPostgres.freshDatabase(migrated: false)
        try await Store.withRunning(configuration, logger: logger) { store in
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 { group.addTask { try await Migrator().migrate(store) } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let expected = try Migrator.bundled().map(\.name)
            #expect(applied.sorted() == expected.sorted())  // once each, across the four
            #expect(try await Migrator().migrate(store).isEmpty)
        }
    }

    @Test("work that never answers is given up at the limit (the pool's shutdown in withRunning is bounded the same way)")
    func answerIsBounded() async throws {
        let start = ContinuousClock.now
        let never = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await #expect(throws: NoAnswer.self) {
            try await answer(within: .milliseconds(300)) {
                // Suspended for good, cancellation ignored: what a stranded lease looks like.
                await withCheckedContinuation { continuation in never.withLock { $0 = continuation } }
            }
        }
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(300) && waited < .seconds(5), "\(waited)")
        never.withLock { $0?.resume() }
    }

    @Test("a read outside a transaction is watched like one: the watchdog sees it in flight until it returns")
    func readsAreWatched() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            #expect(store.oldestInFlightStart() == nil)
            let before = ContinuousClock.now
            async let slept: Int = store.read { connection in
                for try await n in try await connection.query("SELECT 1 FROM pg_sleep(0.5)", logger: logger).decode(Int.self) { return n }
                return 0
            }
            try await Task.sleep(for: .milliseconds(200))
            let oldest = try #require(store.oldestInFlightStart(), "the read is not tracked")
            #expect(oldest >= before)
            #expect(try await slept == 1)
            #expect(store.oldestInFlightStart() == nil)
        }
    }

    @Test("stage code reaches PostgreSQL only through the store's watched entry points (transaction, read, tracked)")
    func stagesUseWatchedEntryPoints() throws {
        // A query on the bare pool is invisible to the database watchdog: after a server restart
        // it can wait forever while the stage neither works nor exits (CI, session 17: the gate).
        let stages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/Stages")
            .standardizedFileURL
        let files = try #require(FileManager.default.enumerator(at: stages, includingPropertiesForKeys: nil))
        var offenders: [String] = []
        var seen = 0
        for case let file as URL in files where file.pathExtension == "swift" {
            seen += 1
            let text = try String(contentsOf: file, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("store.client") || line.contains(".client.query") || line.contains(".client.withConnection") {
                offenders.append("\(file.lastPathComponent):\(n + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(seen > 10)
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    @Test("append is idempotent by uid and numbers each partition 1, 2, 3…")
    func idempotentAppend() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            let first = try await store.transaction { c in
                try await StreamStore.append([record("a"), record("b"), record("a")], producedAt: EventTime(millis: 0), on: c, logger: logger)
            }
            #expect(first.map(\.seq) == [1, 2])
            let second = try await store.transaction { c in
                try await StreamStore.append([record("b"), record("c")], producedAt: EventTime(millis: 0), on: c, logger: logger)
            }
            #expect(second.map(\.uid) == ["c"] && second.map(\.seq) == [3])
            let partition = record("a").partition
            let rows = try await store.transaction { c in
                try await StreamStore.read(.alert, partition: partition, afterSeq: 0, limit: 10, on: c, logger: logger)
            }
            #expect(rows.map(\.uid) == ["a", "b", "c"])
            #expect(try rows[0].decodePayload(as: [String: String].self) == ["n": "a"])
        }
    }

    @Test("concurrent writers: a tailing reader never skips a row (the outbox trap)")
    func concurrentWriters() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        let writers = 6, batches = 40, perBatch = 5
        try await Store.withRunning(configuration, logger: logger) { store in
            let partition = record("x", key: "x").partition
            let done = Counter()
            let seen = try await withThrowingTaskGroup(of: [String]?.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for b in 0..<batches {
                            let records = (0..<perBatch).map { self.record("w\(w)-b\(b)-\($0)", key: "x") }
                            _ = try await store.transaction { c in
                                try await StreamStore.append(records, producedAt: EventTime(millis: 0), on: c, logger: self.logger)
                            }
                        }
                        done.value.add(1, ordering: .relaxed)
                        return nil
                    }
                }
                group.addTask {
                    // A consumer that trusts `seq > cursor`: with a shared sequence it would skip rows
                    // that commit late; with per-partition head locks it cannot.
                    var cursor: Int64 = 0
                    var uids: [String] = []
                    while true {
                        let finished = done.value.load(ordering: .relaxed) == writers
                        let rows = try await store.transaction { c in
                            try await StreamStore.read(.alert, partition: partition, afterSeq: cursor, limit: 1000, on: c, logger: self.logger)
                        }
                        for row in rows {
                            #expect(row.seq == cursor + 1, "seq gap after \(cursor)")
                            cursor = row.seq
                            uids.append(row.uid)
                        }
                        if finished && rows.isEmpty { return uids }
                    }
                }
                var result: [String] = []
                for try await value in group { if let value { result = value } }
                return result
            }
            #expect(seen.count == writers * batches * perBatch)
            #expect(Set(seen).count == seen.count)
        }
    }

    @Test("the commit call fences cursors: a step that started from a moved cursor stores nothing")
    func commitFence() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            func commit(from expected: Int64, to seq: Int64, output uid: String) async throws -> [StoredMessage] {
                try await store.transaction { c in
                    let batch = StreamStore.AppendBatch([record(uid)], watermarks: [:], producedAt: EventTime(millis: 0))
                    let rows = try await c.query(
                        """
                        SELECT * FROM remora_commit_step('t', 'trade', ARRAY[3], ARRAY[\(expected)]::bigint[],
                            ARRAY[\(seq)]::bigint[], ARRAY[\(Int64.min)]::bigint[], \(batch.streams), \(batch.partitions)::int[],
                            \(batch.uids), \(batch.keys), \(batch.eventTimes), \(batch.payloads), 0::bigint,
                            \(batch.markStreams), \(batch.markPartitions)::int[], \(batch.markTimes))
                        """, logger: logger)
                    return try await batch.stored(from: rows)
                }
            }
            #expect(try await commit(from: 0, to: 5, output: "first").map(\.seq) == [1])
            // A second owner (or a retry after a lost acknowledgement) that also started from 0.
            await #expect(throws: PSQLError.self) { _ = try await commit(from: 0, to: 5, output: "second") }
            #expect(try await commit(from: 5, to: 9, output: "third").map(\.seq) == [2])
            let cursors = try await store.transaction { c in try await Cursors.load(consumer: "t", stream: .trade, on: c, logger: logger) }
            #expect(cursors == [3: 9])
            let rows = try await store.transaction { c in
                try await StreamStore.read(.alert, partition: record("x").partition, afterSeq: 0, limit: 10, on: c, logger: logger)
            }
            #expect(rows.map(\.uid) == ["first", "third"])
        }
    }

    @Test("the book survives a save/load round trip, open positions included")
    func bookRoundTrip() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        let market = ConditionID("0x" + String(repeating: "c", count: 64))!
        try await Store.withRunning(configuration, logger: logger) { store in
            var book = try await store.transaction { c in try await BookStore.load(initialCash: 1000, on: c, logger: logger) }
            #expect(book == Book(initialCash: 1000))
            book.cash = USDC(micros: 750_000_001)
            book.realizedPnl = -3
            book.positions["11"] = BookPosition(asset: "11", conditionId: market, outcomeIndex: 1, shares: 500, cost: 250, mark: Price(micros: 510_000))
            book.positions["12"] = BookPosition(asset: "12", conditionId: market, outcomeIndex: 0, shares: 1, cost: 0, mark: Price(micros: 1))
            let saved = book
            try await store.transaction { c in try await BookStore.save(saved, asOf: EventTime(millis: 9), on: c, logger: logger) }
            let loaded = try await store.transaction { c in try await BookStore.load(initialCash: 5, on: c, logger: logger) }
            #expect(loaded == saved)  // and the initial cash is not reset by a second load
            #expect(await (try? store.transaction { c in try await BookStore.load(initialCash: nil, on: c, logger: logger) }) == saved)
        }
    }

    @Test("identical fills are numbered in delivery order across reads")
    func fillOccurrences() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            let first = try await store.transaction { c in try await FillOccurrences.assign(["a", "b", "a"], on: c, logger: logger) }
            let second = try await store.transaction { c in try await FillOccurrences.assign(["a", "c"], on: c, logger: logger) }
            #expect(first == [0, 0, 1])
            #expect(second == [2, 0])
        }
    }

    @Test("cursors only move forward; dead letters keep the raw input")
    func cursorsAndDeadLetters() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            try await store.transaction { c in
                try await Cursors.save(consumer: "t", stream: .trade, partition: 3, seq: 10, watermark: EventTime(millis: 5), on: c, logger: logger)
                try await Cursors.save(consumer: "t", stream: .trade, partition: 3, seq: 7, on: c, logger: logger)
                try await DeadLetters.record(service: "t", origin: "here", reason: "bad", raw: "{oops", context: ["k": "v"], on: c, logger: logger)
            }
            let cursors = try await store.transaction { c in try await Cursors.load(consumer: "t", stream: .trade, on: c, logger: logger) }
            #expect(cursors == [3: 10])
            let rows = try await store.client.query("SELECT raw, reason FROM dead_letters", logger: logger)
            var letters: [(String, String)] = []
            for try await row in rows.decode((String, String).self) { letters.append(row) }
            #expect(letters.count == 1 && letters[0].0 == "{oops" && letters[0].1 == "bad")
        }
    }
}

/// A shareable atomic counter (atomics cannot be captured by value).
final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("trade.settled storage (migration 0017)", .serialized)
struct SettlementStorageTests {
    let logger = TestPostgres.testLogger

    func settlement(_ n: Int, wallet: String = "0x00000000000000000000000000000000000000aa") -> TradeSettlement {
        TradeSettlement(
            tradeId: "0x\(n):token:BUY:\(n)", wallet: WalletAddress(validated: wallet),
            conditionId: ConditionID("0x" + String(repeating: "c", count: 64))!, category: n % 2 == 0 ? "crypto" : "a \"quoted\" one",
            side: n % 3 == 0 ? .sell : .buy, size: Shares(micros: 1_500_000 * Int64(n)), price: Price(micros: 200_000),
            payout: Price(micros: n % 2 == 0 ? 1_000_000 : 0), result: n % 2 == 0 ? .win : .loss,
            cost: USDC(micros: 300_000 * Int64(n)), fee: USDC(micros: Int64(n)), realizedPnl: USDC(micros: -1_266_000 + Int64(n)),
            tradeTime: EventTime(millis: 1_000 + Int64(n)), settledAt: EventTime(millis: 5_000 + Int64(n)),
            role: [TradeRole.taker, .maker, .unknown][n % 3])
    }

    func payloads(_ store: Store) async throws -> [String: String] {
        var result: [String: String] = [:]
        for try await (uid, text) in try await store.client.query(
            "SELECT uid, payload::text FROM trade_settlements").decode((String, String).self) { result[uid] = text }
        return result
    }

    @Test("typed and JSON appends store the same rows; payloads read back as appended; uids stay unique")
    func typedAndJSONAppends() async throws {
        let typed = try await TestPostgres.freshDatabase()
        let generic = try await TestPostgres.freshDatabase()
        let settlements = (1...6).map { settlement($0) }
        // Typed: the resolver's records; JSON: the same payloads without the settlement attached.
        let typedRecords = settlements.map { StreamRecord(settled: $0) }
        let jsonRecords = typedRecords.map {
            StreamRecord(stream: $0.stream, uid: $0.uid, key: $0.key, eventTime: $0.eventTime, payload: $0.payload)
        }
        var stored: [[StoredMessage]] = []
        var read: [[String: String]] = []
        for (configuration, records) in [(typed, typedRecords), (generic, jsonRecords)] {
            let (first, texts) = try await Store.withRunning(configuration, logger: logger) { store in
                let first = try await store.transaction { c in
                    try await StreamStore.append(records + [records[0]], producedAt: EventTime(millis: 0), on: c, logger: logger)
                }
                #expect(first.count == 6)
                #expect(first.map(\.seq) == [1, 2, 3, 4, 5, 6])
                // A re-append stores nothing; a new one is numbered after the head.
                let again = try await store.transaction { c in
                    try await StreamStore.append(
                        Array(records[2...]) + [StreamRecord(settled: settlement(7))], producedAt: EventTime(millis: 0), on: c,
                        logger: logger)
                }
                #expect(again.map(\.uid) == [settlement(7).tradeId] && again.map(\.seq) == [7])
                let back = try await store.transaction { c in
                    try await StreamStore.read(.tradeSettled, partition: records[0].partition, afterSeq: 0, limit: 10, on: c, logger: logger)
                }
                #expect(try back.map { try $0.decodePayload(as: TradeSettlement.self) } == settlements + [settlement(7)])
                let byWallet = try await store.transaction { c in
                    try await ScoreStore.settlements(on: c, logger: logger)
                }
                #expect(Set(byWallet.values.flatMap { $0 }) == Set(settlements + [settlement(7)]))
                // Every row is stored as columns (no payload kept whole), and the gate's columns are right.
                for try await (kept, wins, pnl) in try await store.client.query(
                    "SELECT (SELECT count(*) FROM trade_settlement_rows WHERE payload IS NOT NULL), count(*) FILTER (WHERE won), sum(realized_pnl_micros)::bigint FROM trade_settlements"
                ).decode((Int64, Int64, Int64).self) {
                    #expect(kept == 0)
                    #expect(wins == 3)
                    let expected: Int64 = (1...7).reduce(Int64(0)) { sum, n in sum - 1_266_000 + Int64(n) }
                    #expect(pnl == expected)
                }
                return (first, try await payloads(store))
            }
            stored.append(first)
            read.append(texts)
        }
        #expect(stored[0] == stored[1])
        #expect(read[0] == read[1])
        // jsonb's text of the canonical JSON.
        let canonical = try await Store.withRunning(typed, logger: logger) { store in
            var texts: [String: String] = [:]
            for s in settlements + [settlement(7)] {
                for try await text in try await store.client.query("SELECT \(s.canonicalJSON)::jsonb::text").decode(String.self) {
                    texts[s.tradeId] = text
                }
            }
            return texts
        }
        #expect(read[0] == canonical)
    }

    @Test("a payload the columns do not rebuild is kept whole; a payload whose wallet is not its key is refused")
    func unusualPayloads() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            let wallet = "0x00000000000000000000000000000000000000aa"
            let text = #"{"cost":"1.50","extra":true,"realizedPnl":"-0.25","result":"win","size":"x","tradeId":"t1","wallet":"\#(wallet)"}"#
            let record = StreamRecord(stream: .tradeSettled, uid: "t1", key: wallet, eventTime: EventTime(millis: 9), payload: text)
            let stored = try await store.transaction { c in
                try await StreamStore.append([record], producedAt: EventTime(millis: 0), on: c, logger: logger)
            }
            #expect(stored.map(\.seq) == [1])
            for try await (payload, won, pnl, cost, size) in try await store.client.query(
                "SELECT payload::text, won, realized_pnl_micros, cost_micros, size FROM trade_settlements"
            ).decode((String, Bool?, Int64?, Int64?, String?).self) {
                #expect(payload == #"{"cost": "1.50", "size": "x", "extra": true, "result": "win", "wallet": "\#(wallet)", "tradeId": "t1", "realizedPnl": "-0.25"}"#)
                #expect(won == true && pnl == -250_000 && cost == 1_500_000 && size == "x")
            }
            let foreign = StreamRecord(stream: .tradeSettled, uid: "t2", key: "0xother", eventTime: EventTime(millis: 9), payload: text)
            await #expect(throws: (any Error).self) {
                try await store.transaction { c in
                    try await StreamStore.append([foreign], producedAt: EventTime(millis: 0), on: c, logger: logger)
                }
            }
        }
    }

    @Test("migration 0017 converts the rows stored before it")
    func migrationConvertsRows() async throws {
        let configuration = try await TestPostgres.freshDatabase(migrated: false)
        let all = try Migrator.bundled()
        try await Store.withRunning(configuration, logger: logger) { store in
            _ = try await Migrator(migrations: all.filter { $0.version < 17 }).migrate(store)
            // As JSON (the typed append needs 0017).
            let records = (1...4).map { StreamRecord(settled: settlement($0)) }.map {
                StreamRecord(stream: $0.stream, uid: $0.uid, key: $0.key, eventTime: $0.eventTime, payload: $0.payload)
            }
            let odd = StreamRecord(
                stream: .tradeSettled, uid: "odd", key: "0x00000000000000000000000000000000000000aa",
                eventTime: EventTime(millis: 3), payload: #"{"cost":"2.0","wallet":"0x00000000000000000000000000000000000000aa"}"#)
            _ = try await store.transaction { c in
                try await StreamStore.append(records + [odd], producedAt: EventTime(millis: 0), on: c, logger: logger)
            }
            let before = try await payloads(store)
            var sums: [Int64?] = []
            for try await (pnl, cost, wins) in try await store.client.query(
                "SELECT sum(realized_pnl_micros)::bigint, sum(cost_micros)::bigint, count(*) FILTER (WHERE won) FROM trade_settlements"
            ).decode((Int64?, Int64?, Int64).self) { sums = [pnl, cost, wins] }
            _ = try await Migrator(migrations: all).migrate(store)
            #expect(try await payloads(store) == before)
            for try await (pnl, cost, wins, kept) in try await store.client.query(
                "SELECT sum(realized_pnl_micros)::bigint, sum(cost_micros)::bigint, count(*) FILTER (WHERE won), (SELECT count(*) FROM trade_settlement_rows WHERE payload IS NOT NULL) FROM trade_settlements"
            ).decode((Int64?, Int64?, Int64, Int64).self) {
                #expect([pnl, cost, wins] == sums)
                #expect(kept == 1)
            }
            // Idempotency holds across the conversion.
            let again = try await store.transaction { c in
                try await StreamStore.append(records, producedAt: EventTime(millis: 0), on: c, logger: logger)
            }
            #expect(again.isEmpty)
        }
    }
}
