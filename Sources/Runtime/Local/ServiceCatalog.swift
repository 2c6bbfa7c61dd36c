public import Foundation

/// The seven services and how the demo (and the end-to-end test) configures them.
public enum ServiceCatalog {
    public static let names = ["fetcher", "resolver", "scorer", "signal-gate", "sizer", "risk-guard", "attributor"]

    /// The folder of the running executable: the services are built next to it.
    public static var binDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The services reading NDJSON files (replays, the end-to-end test, the pipeline bench).
    public static func children(
        databaseURL: String, publish: String, subscribe: String, tradesFile: String, marketsFile: String,
        logLevel: String, portBase: Int = 17410, httpPorts: [Int]? = nil, binDirectory: URL = ServiceCatalog.binDirectory
    ) -> [Supervisor.Child] {
        children(
            databaseURL: databaseURL, publish: publish, subscribe: subscribe,
            source: ["REMORA_SOURCE_TRADES": tradesFile, "REMORA_SOURCE_MARKETS": marketsFile],
            logLevel: logLevel, portBase: portBase, httpPorts: httpPorts, binDirectory: binDirectory)
    }

    /// Each stage's HTTP port for a run on this machine: `portBase + 1 …` when all are free, else
    /// free loopback ports — a second run side by side (another state folder, a test) would
    /// otherwise see its stages crash-loop on "Address already in use" until the first ends.
    public static func httpPorts(portBase: Int = 17410) throws -> [Int] {
        let fixed = names.indices.map { portBase + $0 + 1 }
        if fixed.allSatisfy(LoopbackPorts.bindable) { return fixed }
        return try names.map { _ in try freeLoopbackPort() }
    }

    /// The services with `source` settings added to each one's environment (file paths, or the
    /// Polymarket base URLs and the watch list).
    public static func children(
        databaseURL: String, publish: String, subscribe: String, source: [String: String],
        logLevel: String, portBase: Int = 17410, httpPorts: [Int]? = nil, binDirectory: URL = ServiceCatalog.binDirectory
    ) -> [Supervisor.Child] {
        names.enumerated().map { index, name in
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = databaseURL
            environment["REMORA_BUS_PUB"] = publish
            environment["REMORA_BUS_SUB"] = subscribe
            environment["REMORA_HTTP_PORT"] = "\(httpPorts?[index] ?? portBase + index + 1)"
            environment["REMORA_LOG_LEVEL"] = logLevel
            // A crashed stage is started again at once: the runtime's "Fatal error" line names the
            // cause, and the backtrace lists addresses and images (symbolicate offline). Symbolicating
            // in the dying process took 14 s here (3 s "fast") on a debug build, all of it downtime.
            if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "symbolicate=off" }
            // No dashboard from the attributor here: runs side by side would contend for its port,
            // and the demo serves the dashboard itself once the run is over.
            if name == "attributor" { environment["REMORA_DASHBOARD_PORT"] = "0" }
            environment.merge(source) { _, new in new }
            return Supervisor.Child(name: name, executable: binDirectory.appendingPathComponent(name), environment: environment)
        }
    }
}
