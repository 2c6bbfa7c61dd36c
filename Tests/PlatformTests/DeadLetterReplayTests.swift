import Foundation
import Logging
import PostgresNIO
import RemoraBus
import RemoraModel
import RemoraStore
import RemoraTestSupport
import Synchronization
import Testing
import ZeroMQ

@testable import RemoraRuntime

/// `remora dead-letters replay` on the consumer path: a stored row that did not decode (a payload
/// from a newer writer, a corrupted row) is read again once its cause is repaired, and goes through
/// the stage's handler once; a row still broken stays dead with its new reason.
@Suite("Dead letters: replay through a consumer", .serialized)
struct DeadLetterReplayTests {
    static let wallet = "0x" + String(repeating: "12", count: 20)

    static func trade(_ n: Int, price: String = "0.4") -> String {
        #"{"asset":"1","conditionId":"0x\#(String(repeating: "ab", count: 32))","id":"t\#(n)","outcome":"Yes","outcomeIndex":0,"price":"\#(price)","side":"BUY","size":"10","timestamp":\#(1_767_225_600_000 + n),"title":"","transactionHash":"0x\#(n)","wallet":"\#(wallet)"}"#
    }

    @Test("a repaired row is replayed once through the handler; a row still broken stays dead with its new reason")
    func replay() async throws {
        let database = try await TestPostgres.freshDatabase()
        try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            let zmq = ZMQContext()
            let endpoints = BusEndpoints(
                publishEndpoint: "tcp://127.0.0.1:\(try freeLoopbackPort())", subscribeEndpoint: "tcp://127.0.0.1:\(try freeLoopbackPort())")
            let publisher = try BusPublisher(context: zmq, endpoints: endpoints)
            defer {
                publisher.close()
                zmq.terminate()
            }
            let environment = StageEnvironment(
                service: "replay-test", settings: Settings([]), store: store, bus: endpoints, zmq: zmq, publisher: publisher,
                logger: TestPostgres.testLogger, metrics: StageMetrics(service: "replay-test"), readiness: Readiness())
            // Good, broken (a price outside (0, 1)), good, broken, in one partition.
            let payloads = [Self.trade(1), Self.trade(2, price: "1.5"), Self.trade(3), Self.trade(4, price: "7")]
            _ = try await store.transaction { connection in
                try await StreamStore.append(
                    payloads.enumerated().map { index, payload in
                        StreamRecord(stream: .trade, uid: "t\(index + 1)", key: Self.wallet, eventTime: EventTime(millis: Int64(index + 1)), payload: payload)
                    }, producedAt: EventTime(millis: 0), on: connection, logger: store.logger)
            }
            let handled = Mutex<[String]>([])
            let consumer = DurableConsumer(
                name: "replay-test", stream: .trade, payload: Trade.self, partitions: Array(0..<16), environment: environment
            ) { messages, _, _, _ in
                handled.withLock { $0 += messages.map(\.1.id) }
                let records = try messages.map { _, trade in
                    try StreamRecord(
                        stream: .alert, uid: "seen:\(trade.id)", key: trade.wallet.rawValue, eventTime: trade.timestamp,
                        payload: Alert(level: .info, source: "test", code: "seen", message: trade.id, at: trade.timestamp))
                }
                return StepResult(consumed: messages.count, records: records)
            }
            func one(_ sql: PostgresQuery) async throws -> Int64 {
                for try await n in try await store.client.query(sql).decode(Int64.self) { return n }
                return -1
            }
            #expect(try await consumer.drain() == 4)
            #expect(handled.withLock { $0 } == ["t1", "t3"])
            #expect(try await one("SELECT count(*) FROM dead_letters WHERE status = 'dead' AND service = 'replay-test'") == 2)

            // The operator repairs one stored row, asks for both to be replayed.
            let partition = Partitioner.partition(of: Self.wallet)
            try await store.client.query("UPDATE trades SET payload = \(Self.trade(2))::jsonb WHERE partition = \(partition) AND seq = 2")
            let asked = try await store.transaction { connection in
                try await DeadLetters.requestReplay(ids: [], service: "replay-test", since: nil, on: connection, logger: store.logger)
            }
            #expect(asked.count == 2)
            #expect(try await consumer.drain() == 0)  // the cursor stays where it was
            #expect(handled.withLock { $0 } == ["t1", "t3", "t2"])
            #expect(try await one("SELECT count(*) FROM alerts WHERE uid = 'seen:t2'") == 1)
            #expect(try await one("SELECT count(*) FROM dead_letters WHERE status = 'replayed' AND attempts = 1") == 1)
            #expect(try await one(
                "SELECT count(*) FROM dead_letters WHERE status = 'dead' AND attempts = 1 AND reason LIKE 'replay: payload does not decode%price%'") == 1)
            // Once: nothing more on the next polls.
            #expect(try await consumer.drain() == 0)
            #expect(handled.withLock { $0 }.count == 3)
            #expect(try await one("SELECT count(*) FROM dead_letters") == 2)
        }
    }
}
