import ArgumentParser

/// `remora`: the operator's command line.
@main
struct Remora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remora",
        abstract: "Remora — copy-trading engine for Polymarket (operator CLI).",
        subcommands: [Demo.self, Simulate.self, APIStub.self, Calibrate.self, Discover.self, Reconcile.self, PnL.self, Explain.self, QuarantineCommand.self, DeadLettersCommand.self, Rescore.self, Validate.self, DB.self, Migrate.self, Proxy.self, Bench.self])
}
