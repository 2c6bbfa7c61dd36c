import ArgumentParser
import Foundation
import Logging
import RemoraStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the SQL migrations in schemas/sql to DATABASE_URL (safe to run concurrently).")

    func run() async throws {
        let url = try databaseURLFromEnvironment()
        let names = try await Store.withRunning(try DatabaseConfiguration(url: url), logger: quietLogger()) { store in
            try await store.waitUntilReachable()
            return try await Migrator().migrate(store)
        }
        print(names.isEmpty ? "schema up to date" : "applied: \(names.joined(separator: ", "))")
    }
}

func databaseURLFromEnvironment() throws -> String {
    guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
        throw ValidationError("DATABASE_URL is not set (remora db url prints the local one)")
    }
    return url
}

func quietLogger() -> Logger {
    var logger = Logger(label: "remora")
    logger.logLevel = .warning
    return logger
}
