import ArgumentParser
import Foundation
import Hummingbird
import RemoraAPIStub
import RemoraSimulator

/// `remora api-stub`: serve a generated world with Polymarket's paths and shapes on loopback.
struct APIStub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-stub",
        abstract: "Serve a simulated Polymarket (Data API, Gamma, CLOB) over a generated world until SIGINT/SIGTERM.",
        discussion: """
            Endpoints answer at the root and under /data-api, /gamma-api and /clob. The replay clock \
            decides what is visible: by default "now" is the world's end; --at fixes it; --speed runs \
            it from --at (or the world's start). GET /__stub/status reports now, speed, requests and \
            faults.
            """)

    @Option(help: "World directory (world.json, trades.ndjson, markets.json, prices.ndjson, truth.json).")
    var data: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8787
    @Option(help: "Replay seconds per wall second; the clock runs from --at or the world's start.")
    var speed: Double?
    @Option(help: "Replay time in unix seconds: fixed, or the start of a running clock with --speed.")
    var at: Int64?
    @Option(help: "Probability that a request is faulted (0…1).") var faults = 0.0
    @Option(help: "Fault kinds, comma-separated: 429,error200,5xx,slow,truncated,malformed,repeat.")
    var faultKinds = FaultKind.allCases.map(\.rawValue).joined(separator: ",")
    @Option(help: "Seed of the fault draws.") var faultSeed: UInt64 = 1
    @Option(help: "Delay of a 'slow' fault, in seconds.") var slowSeconds = 5.0
    @Option(help: "Deepest Data API offset accepted; beyond it HTTP 400.") var offsetCap = 10_000

    func validate() throws {
        guard (0...1).contains(faults) else { throw ValidationError("--faults must be within 0…1") }
        if let speed, !(speed > 0) { throw ValidationError("--speed must be positive") }
        guard slowSeconds >= 0 else { throw ValidationError("--slow-seconds must not be negative") }
        guard offsetCap >= 0 else { throw ValidationError("--offset-cap must not be negative") }
        _ = try parsedFaultKinds()
    }

    func run() async throws {
        let loadStarted = ContinuousClock.now
        let world = try StubWorld.load(from: URL(fileURLWithPath: data))
        let loadTime = ContinuousClock.now - loadStarted
        let clock: any ReplayClock =
            if let speed {
                RunningReplayClock(origin: at ?? world.manifest.startTime, speed: speed)
            } else {
                FixedReplayClock(at: at ?? world.manifest.endTime)
            }
        let options = StubOptions(
            offsetCap: offsetCap,
            faults: FaultSettings(rate: faults, kinds: try parsedFaultKinds(), seed: faultSeed, slowSeconds: slowSeconds))
        let stub = RemoraAPIStub.APIStub(world: world, clock: clock, options: options)
        let manifest = world.manifest
        let host = host
        let app = stub.makeApplication(host: host, port: port, logger: quietLogger()) { boundPort in
            let span = "\(MarketTimeline.iso8601(manifest.startTime)) → \(MarketTimeline.iso8601(manifest.endTime))"
            let clockText = clock.speed.map { "running ×\(decimalString($0, places: 3))" } ?? "fixed"
            let seconds = Double(loadTime.components.seconds) + Double(loadTime.components.attoseconds) / 1e18
            let line =
                "api-stub: http://\(host):\(boundPort) world \(span), \(world.tradeCount) trades, "
                + "\(world.markets.count) markets, loaded in \(String(format: "%.1f", seconds)) s; "
                + "now \(MarketTimeline.iso8601(clock.now())) (\(clockText))\n"
            // Unbuffered: a parent process reads this line to learn the URL.
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await app.runService()
    }

    private func parsedFaultKinds() throws -> [FaultKind] {
        try faultKinds.split(separator: ",").map { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let kind = FaultKind(rawValue: trimmed) else {
                throw ValidationError("unknown fault kind '\(trimmed)' (known: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return kind
        }
    }
}
