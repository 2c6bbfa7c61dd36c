import ArgumentParser
import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import RemoraRuntime
import RemoraStore

/// The operator's side of the book's trading state (docs/risk.md): what it is and why, and the
/// halt that stops everything until a resume. Actions are events: the risk guard applies each at
/// its event time in strict mode (a replay sees it at the same place), at its next step live.
struct RiskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk",
        abstract: "The book's trading state: status, and an operator's halt or resume (DATABASE_URL).",
        subcommands: [Status.self, Halt.self, Resume.self])

    struct Action: ParsableArguments {
        @Option(help: "Why (kept with the action, in its alert and the audit).") var reason: String
        @Option(help: "Who acts (default: $USER).") var by: String?
        @Option(help: "Event time of the action: unix seconds or ISO 8601 (default: now).") var at: String?

        func validated() throws -> (by: String, reason: String, at: EventTime) {
            let by = (by ?? ProcessInfo.processInfo.environment["USER"] ?? "operator").trimmingCharacters(in: .whitespaces)
            let reason = reason.trimmingCharacters(in: .whitespaces)
            guard !by.isEmpty, !reason.isEmpty else { throw ValidationError("--by and --reason must not be empty") }
            return (by, reason, try at.map(QuarantineCommand.instant) ?? .wallClockNow)
        }
    }

    /// Whether the actions recorded so far leave the book halted (their fold in event time).
    static func halted(by actions: [RiskAction]) -> RiskAction? {
        var halt: RiskAction?
        for action in actions.sorted(by: { ($0.at, $0.id) < ($1.at, $1.id) }) {
            switch action.kind {
            case .halt where halt == nil: halt = action
            case .resume: halt = nil
            default: break
            }
        }
        return halt
    }

    static func record(_ kind: RiskAction.Kind, _ arguments: Action) async throws {
        let (by, reason, at) = try arguments.validated()
        let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
        let line = try await Store.withRunning(configuration, logger: quietLogger()) { store -> String in
            let halt = halted(by: try await RiskStore.actions(on: store.client, logger: store.logger))
            switch kind {
            case .halt:
                if let halt { throw Refusal("already halted by \(halt.by) at \(halt.at.utcText): \(halt.reason)") }
            case .resume:
                guard halt != nil else { throw Refusal("the book is not halted (remora risk status)") }
            }
            let action = try await RiskStore.record(kind, at: at, by: by, reason: reason, on: store.client, logger: store.logger)
            return kind == .halt
                ? "halt \(action.id) recorded at \(at.utcText) by \(by): the risk guard decides nothing after it (exits included) until a resume"
                : "resume \(action.id) recorded at \(at.utcText) by \(by): the book returns to its mVaR state (ACTIVE, or REDUCING while its mVaR is high)"
        }
        print(line)
    }

    struct Halt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Halt the book: no order is decided (exits included) until a resume.")
        @OptionGroup var action: Action
        func run() async throws { try await RiskCommand.record(.halt, action) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a halted book: back to ACTIVE, or REDUCING while its mVaR is high.")
        @OptionGroup var action: Action
        func run() async throws { try await RiskCommand.record(.resume, action) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The trading state, the mVaR at the decisions, the state's changes and the operators' actions.")

        func run() async throws {
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            let lines = try await Store.withRunning(configuration, logger: quietLogger()) { store -> [String] in
                let book = try? await store.transaction { connection in
                    try await BookStore.load(initialCash: nil, on: connection, logger: store.logger)
                }
                guard let book else {
                    return ["no book yet: the risk guard has not decided anything"]
                }
                let actions = try await RiskStore.actions(on: store.client, logger: store.logger)
                let risk = try await RiskStore.decisionRisk(on: store.client, logger: store.logger)
                let changes = try await RiskStore.stateChanges(on: store.client, logger: store.logger)
                return RiskCommand.status(book: book, actions: actions, risk: risk, changes: changes)
            }
            print(lines.joined(separator: "\n"))
        }
    }

    static func status(
        book: Book, actions: [RiskAction], risk: [(EventTime, Double, TradingState?)], changes: [Alert]
    ) -> [String] {
        var lines: [String] = []
        let last = risk.last.map { " (mVaR \(ExplainText.percent($0.1)) of NAV at the last decision, \($0.0.utcText))" } ?? ""
        lines.append("trading state: \(book.tradingState.rawValue)\(last)")
        if let halt = book.halt { lines.append("  halted by \(halt.by) at \(halt.at.utcText): \(halt.reason)") }
        let pending = actions.filter { $0.id > book.actionsThrough }
        if !pending.isEmpty { lines.append("  \(pending.count) operator action(s) not applied yet: the risk guard applies them at its next step") }
        if !risk.isEmpty {
            let losses = risk.map(\.1).sorted()
            let policy = VaRPolicy()
            let counts = Dictionary(grouping: losses, by: { policy.alert($0) }).mapValues(\.count)
            func share(_ alert: TailRiskAlert) -> String { ExplainText.percent(Double(counts[alert] ?? 0) / Double(losses.count)) }
            lines.append(
                "mVaR at \(losses.count) decisions: median \(ExplainText.percent(losses[losses.count / 2])), max \(ExplainText.percent(losses.last!)); "
                    + "green \(share(.green)), yellow \(share(.yellow)), red \(share(.red)) of them (default thresholds 6 % / 8 %)")
        }
        lines.append(changes.isEmpty ? "state changes: none" : "state changes:")
        for change in changes { lines.append("  \(change.at.utcText)  \(change.message)") }
        if !actions.isEmpty { lines.append("operator actions:") }
        for action in actions { lines.append("  \(action.at.utcText)  \(action.kind.rawValue) by \(action.by): \(action.reason)") }
        return lines
    }
}
