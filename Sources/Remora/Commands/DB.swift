import ArgumentParser
import Foundation
import RemoraRuntime

struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The embedded PostgreSQL cluster under .remora/pg (loopback only).",
        subcommands: [Up.self, Down.self, URLCommand.self])

    struct Options: ParsableArguments {
        @Option(help: "Folder for local state.") var state = ".remora"
        @Option(help: "Port on 127.0.0.1.") var port = 54329
        var database: LocalDatabase { LocalDatabase(root: URL(fileURLWithPath: state), port: port) }
    }

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise (first time) and start the cluster.")
        @OptionGroup var options: Options
        func run() throws {
            try options.database.up()
            print(options.database.url())
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster (data is kept).")
        @OptionGroup var options: Options
        func run() throws { try options.database.down() }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "url", abstract: "Print the cluster's DATABASE_URL.")
        @OptionGroup var options: Options
        func run() { print(options.database.url()) }
    }
}
