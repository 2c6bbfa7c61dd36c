import Foundation
import RemoraRuntime
import RemoraTestSupport
import Testing

/// `make demo`'s job: the seven services on a generated world, its trades and results read
/// through the Polymarket clients from the loopback API stub (with faults), must end exactly where
/// the NDJSON replay of the same world ends.
@Suite("Demo: through the loopback API as through the files", .serialized)
struct DemoEndToEndTests {
    @Test("remora demo over the API stub with 5 % faults gives the file replay's summary, line for line")
    func apiMatchesFiles() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("remora-demo-\(UUID().uuidString)")
        let port = try freeLoopbackPort()
        defer {
            // The demo leaves its embedded cluster up for the next run: stop it, then remove it.
            if let down = try? ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "db", "down", "--state", state.path, "--port", "\(port)"])
            { _ = down.wait() }
            try? FileManager.default.removeItem(at: state)
        }
        func demo(_ source: String) throws -> [String] {
            // Its own embedded cluster, whatever the caller's DATABASE_URL.
            let run = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--state", state.path, "--port", "\(port)",
                 "--quiet", "--wallets", "150", "--markets", "100", "--months", "2", "--source", source, "--faults", "0.05",
                 "--timeout", "300"],
                removing: ["DATABASE_URL"])
            let status = run.wait()
            #expect(status == 0, "\(run.output)")
            // The summary, without the timing and restart lines.
            let lines = run.output.split(separator: "\n").map(String.init)
            guard let start = lines.firstIndex(of: "Remora demo summary") else { return [] }
            return lines[start...].filter { !$0.contains("drained in") && !$0.contains("restarts") }
        }
        let api = try demo("api")
        let files = try demo("file")
        #expect(api.count > 10, "\(api)")
        #expect(api == files)
        #expect(api.contains { $0.hasPrefix("  paper fills") && !$0.hasSuffix(" 0") }, "\(api)")
    }
}
