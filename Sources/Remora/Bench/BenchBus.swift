import ArgumentParser
import Foundation
import Histogram
import ZeroMQ

/// `remora bench bus`: PUB → SUB between two processes over tcp loopback, ~250-byte JSON
/// envelopes. Phase 1 floods to measure throughput (and counts what arrived); phase 2 paces
/// sends to measure one-hop latency with an HDR histogram (monotonic clock, shared by processes).
struct BenchBus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bus", abstract: "Bus throughput and hop latency.")

    @Option(help: "Messages in the throughput phase.") var messages = 1_000_000
    @Option(help: "Messages in the latency phase.") var latencyMessages = 20_000
    @Option(help: "Send rate of the latency phase (msgs/s).") var rate = 10_000
    @Option(help: .hidden) var publishTo: String?

    func run() throws {
        if let endpoint = publishTo { return try publish(to: endpoint) }
        let context = ZMQContext()
        let sub = try ZMQSocket(context: context, type: .sub)
        try sub.setHighWaterMarks(send: 0, receive: 0)
        try sub.setReceiveTimeout(milliseconds: 5000)
        try sub.subscribe(prefix: "")
        try sub.bind("tcp://127.0.0.1:*")
        let endpoint = sub.lastEndpoint
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        child.arguments = ["bench", "bus", "--publish-to", endpoint, "--messages", "\(messages)",
                           "--latency-messages", "\(latencyMessages)", "--rate", "\(rate)"]
        try child.run()
        // Handshake: the publisher repeats a beacon until we have seen one (slow-joiner guard).
        while let frames = try sub.receive(), String(decoding: frames[0], as: UTF8.self) != "beacon" {}
        var received = 0
        var first: UInt64 = 0
        var last: UInt64 = 0
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var latencyCount = 0
        while let frames = try sub.receive() {
            let topic = String(decoding: frames[0], as: UTF8.self)
            if topic == "beacon" { continue }
            if topic == "end" { break }
            let now = monotonicNanos()
            if topic == "flood" {
                if received == 0 { first = now }
                received += 1
                last = now
            } else if topic == "paced" {
                let sent = frames[1].withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
                _ = histogram.record(now - sent)
                latencyCount += 1
            }
        }
        child.waitUntilExit()
        let seconds = Double(last - first) / 1e9
        print("bus bench: PUB→SUB, 2 processes, tcp loopback, \(frameSize) B bodies, libzmq \(ZMQContext.version)")
        print(String(format: "  throughput  %d/%d received, %.0f msgs/s", received, messages, Double(received) / max(seconds, 1e-9)))
        print(String(format: "  hop latency at %d msgs/s (%d samples): p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.1f µs",
                     rate, latencyCount,
                     Double(histogram.valueAtPercentile(50)) / 1000, Double(histogram.valueAtPercentile(99)) / 1000,
                     Double(histogram.valueAtPercentile(99.9)) / 1000, Double(histogram.max) / 1000))
        sub.close()
        context.terminate()
    }

    private var frameSize: Int { Self.body.count }

    /// A realistic envelope body (a `trade` message is about this size).
    static let body: [UInt8] = Array(
        #"{"schema":"trade.v1","stream":"trade","partition":7,"seq":123456,"key":"0x56687bf447db6ffa42ffe2204a05edaa20f55839","eventTime":1767225600000,"producedAt":1767225600123,"payload":{"price":"0.42","side":"BUY","size":"1250.5","outcomeIndex":0}}"#.utf8)

    private func publish(to endpoint: String) throws {
        let context = ZMQContext()
        let pub = try ZMQSocket(context: context, type: .pub)
        try pub.setHighWaterMarks(send: 0, receive: 0)
        try pub.connect(endpoint)
        // Beacon until the subscriber is surely connected (the connection needs a few ms).
        for _ in 0..<50 {
            try pub.send([Array("beacon".utf8), []])
            Thread.sleep(forTimeInterval: 0.01)
        }
        let flood = Array("flood".utf8)
        for _ in 0..<messages { try pub.send([flood, Self.body]) }
        Thread.sleep(forTimeInterval: 0.5)
        let paced = Array("paced".utf8)
        let interval = UInt64(1_000_000_000 / max(rate, 1))
        var next = monotonicNanos()
        for _ in 0..<latencyMessages {
            while monotonicNanos() < next {}
            var body = Self.body
            withUnsafeBytes(of: monotonicNanos()) { stamp in body.replaceSubrange(0..<8, with: stamp) }
            try pub.send([paced, body])
            next += interval
        }
        try pub.send([Array("end".utf8), []])
        pub.close()
        context.terminate()
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
