import ArgumentParser
import Foundation
import PostgresNIO
import RemoraModel
import RemoraStore

/// Each wallet's books as the resolver keeps them (average cost; sales at the sale price;
/// resolutions paid out; taker fees), from the `wallet_pnl` view.
struct PnL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnl",
        abstract: "Realized P&L per wallet by average cost, net of taker fees (DATABASE_URL).")

    @Option(help: "One wallet only.") var wallet: String?
    @Option(help: "Wallets to list, best first.") var top = 20

    func run() async throws {
        if let wallet, WalletAddress(wallet) == nil { throw ValidationError("not a wallet address: \(wallet)") }
        let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
        let rows: [(String, Int64, Int64, Int64, Int64, Int64)] = try await Store.withRunning(configuration, logger: quietLogger()) { store in
            let filter = wallet?.lowercased() ?? ""
            var rows: [(String, Int64, Int64, Int64, Int64, Int64)] = []
            for try await row in try await store.client.query(
                """
                SELECT wallet, realized_net::bigint, fees::bigint, fills::bigint, open_positions, unmatched_sold::bigint
                FROM wallet_pnl WHERE \(filter) = '' OR wallet = \(filter)
                ORDER BY realized_net DESC, wallet LIMIT \(top)
                """
            ).decode((String, Int64, Int64, Int64, Int64, Int64).self) { rows.append(row) }
            return rows
        }
        guard !rows.isEmpty else {
            print(wallet == nil ? "no positions yet (the resolver builds them from stored trades)" : "no positions for \(wallet!)")
            return
        }
        print("wallet                                      realized (USDC)      fees (USDC)    fills  open  unmatched sold")
        for (address, net, fees, fills, open, unmatched) in rows {
            print(address.padding(toLength: 44, withPad: " ", startingAt: 0)
                + USDC(micros: net).description.leftPadded(15) + USDC(micros: fees).description.leftPadded(17)
                + String(fills).leftPadded(9) + String(open).leftPadded(6) + Shares(micros: unmatched).description.leftPadded(16))
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
