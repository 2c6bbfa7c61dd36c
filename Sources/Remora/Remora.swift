import ArgumentParser
import Foundation
import PostgresNIO
import RemoraStore

/// `remora`: the operator's command line.
@main
struct Remora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remora",
        abstract: "Remora — copy-trading engine for Polymarket (operator CLI).",
        subcommands: [Demo.self, Simulate.self, APIStub.self, Calibrate.self, Discover.self, Reconcile.self, PnL.self, Explain.self, QuarantineCommand.self, RiskCommand.self, AuditCommand.self, DashboardCommand.self, DeadLettersCommand.self, Rescore.self, Validate.self, DB.self, Migrate.self, Proxy.self, Bench.self])

    /// ArgumentParser's main, except that a database error says what the server said (PostgresNIO
    /// keeps it out of `description`), and a refusal is not followed by the usage text.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand { try await command.run() } else { try command.run() }
        } catch let error as PSQLError {
            FileHandle.standardError.write(Data("Error: \(describe(error))\n".utf8))
            Foundation.exit(1)
        } catch let refusal as Refusal {
            FileHandle.standardError.write(Data("Error: \(refusal.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// An operator's command that cannot be carried out as asked: said plainly, without the usage.
struct Refusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
