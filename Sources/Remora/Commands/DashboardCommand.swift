import ArgumentParser
import Foundation
import RemoraRuntime
import RemoraStore

/// The operator dashboard over any Remora database, read-only: the attributor serves the same
/// page; this serves it without running a stage (a finished demo, a copy of production), or
/// prints it once for scripts.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the operator dashboard of the book in DATABASE_URL (read-only), or print it once.",
        discussion: "Without DATABASE_URL, the demo's database in the embedded cluster (remora db url).")

    @Option(help: "Port.") var port = 7400
    @Option(help: "Address to bind: loopback by default; any other needs --token (or REMORA_DASHBOARD_TOKEN).")
    var address = "127.0.0.1"
    @Option(help: "Bearer token the page asks for.") var token = ProcessInfo.processInfo.environment["REMORA_DASHBOARD_TOKEN"] ?? ""
    @Option(help: "Folder of the embedded cluster (without DATABASE_URL).") var state = ".remora"
    @Option(help: "Port of the embedded cluster (without DATABASE_URL).") var databasePort = 54329
    @Flag(help: "Print the page's HTML once to standard output and exit, with the time it took to read and render on standard error.")
    var once = false

    func run() async throws {
        let url = ProcessInfo.processInfo.environment["DATABASE_URL"]
            ?? LocalDatabase(root: URL(fileURLWithPath: state), port: databasePort).url(database: "remora_demo")
        let configuration = try DatabaseConfiguration(url: url)
        let settings = DashboardSettings(port: port, address: address, token: token.isEmpty ? nil : token)
        if !["127.0.0.1", "::1", "localhost"].contains(address), settings.token == nil {
            throw ValidationError("--address \(address) is off loopback: set --token (or REMORA_DASHBOARD_TOKEN)")
        }
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            if once {
                let started = ContinuousClock.now
                let page = DashboardPage.render(try await DashboardData.load(page: 0, store: store))
                let elapsed = ContinuousClock.now - started
                print(page, terminator: "")
                FileHandle.standardError.write(Data("dashboard: read and rendered in \(elapsed)\n".utf8))
                return
            }
            print("dashboard: \(settings.url) (Ctrl-C to stop)")
            try await DashboardServer.application(settings: settings, store: store, logger: quietLogger()).runService()
        }
    }
}
