import Foundation
import RemoraBus
import RemoraRuntime
import RemoraModel
import RemoraTestSupport
import Testing
import ZeroMQ

@Suite("ZeroMQ bus across processes")
struct BusTests {
    @Test("publish → proxy (another process) → subscribe over tcp loopback: all messages, in order")
    func throughProxyProcess() async throws {
        let front = try freeLoopbackPort(), back = try freeLoopbackPort()
        let proxy = Process()
        proxy.executableURL = builtProductsDirectory.appendingPathComponent("remora")
        proxy.arguments = ["proxy", "--frontend", "tcp://127.0.0.1:\(front)", "--backend", "tcp://127.0.0.1:\(back)"]
        proxy.standardOutput = FileHandle.nullDevice
        try proxy.run()
        defer {
            proxy.terminate()
            proxy.waitUntilExit()
        }
        let context = ZMQContext()
        let endpoints = BusEndpoints(publishEndpoint: "tcp://127.0.0.1:\(front)", subscribeEndpoint: "tcp://127.0.0.1:\(back)")
        let subscription = try BusSubscription(context: context, endpoints: endpoints, streams: [.trade], partitions: [3])
        let publisher = try BusPublisher(context: context, endpoints: endpoints)
        func message(_ seq: Int64, partition: Int = 3) -> StoredMessage {
            StoredMessage(
                stream: .trade, partition: partition, seq: seq, uid: "u\(seq)", key: "k", eventTime: EventTime(millis: seq),
                producedAt: EventTime(millis: 0), payload: #"{"seq":\#(seq)}"#)
        }
        let count: Int64 = 10_000
        let received = Task {
            var seqs: [Int64] = []
            var beaconSeen = false
            for await batch in subscription.batches {
                for case .message(let m) in batch {
                    if m.seq == 0 { beaconSeen = true; continue }
                    #expect(m.partition == 3)
                    seqs.append(m.seq)
                }
                if seqs.count == count { break }
                if !beaconSeen { continue }
            }
            return seqs
        }
        // Slow joiner: beacons until the subscription is live, then the burst.
        var attempts = 0
        repeat {
            try publisher.publish([message(0), message(1, partition: 4)])  // partition 4 is filtered out
            try await Task.sleep(for: .milliseconds(20))
            attempts += 1
        } while attempts < 25
        try publisher.publish((1...count).map { message($0) })
        let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            group.addTask { await received.value }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                received.cancel()
                return []
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        subscription.stop()
        publisher.close()
        context.terminate()
        #expect(seqs == Array(1...count))
    }
}
