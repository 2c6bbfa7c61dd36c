import ArgumentParser
import Foundation
import RemoraModel
import RemoraRuntime
import RemoraStore

/// The chain behind one decision, for the operator's first question: why was this trade copied
/// (or not), and how much? The whale's figures as of the trade, what the trade gate measured at
/// the copy instant, the verdict, the Kelly factors, and the risk guard's decision and fill.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Why a whale trade was copied or not, and how much (DATABASE_URL).",
        discussion: "ID is a trade id, an order id (order:<trade id>), or the start of one.")

    @Argument(help: "A trade id, an order id, or the start of one.") var id: String

    func run() async throws {
        let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
        let chain: ExplainStore.Chain
        do {
            chain = try await Store.withRunning(configuration, logger: quietLogger()) { store in
                try await ExplainStore.chain(of: id, on: store.client, logger: store.logger)
            }
        } catch let lookup as ExplainStore.Lookup {
            FileHandle.standardError.write(Data("remora explain: \(lookup)\n".utf8))
            throw ExitCode(1)
        }
        print(ExplainText.lines(chain).joined(separator: "\n"))
    }
}
