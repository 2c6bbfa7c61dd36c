import ArgumentParser
import Foundation
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

/// The operator's side of quarantine (docs/strategy.md): which followed whales are put aside and
/// why, and the approval a release waits for in live mode. The state is the signal gate's own fold
/// (``Quarantine``) over the scorer's history, with the gate's settings from the environment.
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Whales in quarantine, and releasing one (DATABASE_URL, the signal gate's REMORA_GATE_* / REMORA_QUARANTINE_*).",
        subcommands: [List.self, Release.self])

    /// The gate's rules as this environment sets them, the instant to judge at, and each
    /// followed whale's standing then.
    struct Judged {
        var policy: GatePolicy
        var mode: EventTimeMode
        var asOf: EventTime
        var standings: [(wallet: WalletAddress, standing: Quarantine.Standing, last: Quarantine.Point?)]
    }

    /// `--profile demo`: the gate's settings `make demo` runs with, where the environment sets none.
    struct Profile: ParsableArguments {
        @Option(help: "Gate settings: roadmap (the environment's or the defaults) or demo (make demo's profile).")
        var profile = "roadmap"

        func environment() throws -> [String: String] {
            var environment = ProcessInfo.processInfo.environment
            switch profile {
            case "roadmap": break
            case "demo": for (name, value) in Demo.gateProfile where environment[name] == nil { environment[name] = value }
            default: throw ValidationError("--profile is roadmap or demo")
            }
            return environment
        }
    }

    static func rules(_ environment: [String: String]) throws -> (GatePolicy, EventTimeMode) {
        let settings = Settings(GateSettings.settings + [EventTimeMode.setting], environment: environment)
        let mode = try EventTimeMode(settings)
        return (try GateSettings.policy(settings, mode: mode), mode)
    }

    /// Live mode judges at the wall clock; strict event time (a replay's database) at its last score.
    static func judge(
        _ wallets: [WalletAddress]?, at: EventTime?, environment: [String: String], store: Store
    ) async throws -> Judged {
        let (policy, mode) = try rules(environment)
        let followed = try await store.read { try await QuarantineStore.followed(from: policy.minimumScore, on: $0, logger: store.logger) }
        let asOf = at ?? (mode == .live ? EventTime.wallClockNow : followed.latest ?? .wallClockNow)
        let chosen = wallets ?? followed.wallets
        let history = try await store.read { connection in
            try await QuarantineStore.history(
                before: Dictionary(uniqueKeysWithValues: chosen.map { ($0, asOf.adding(millis: 1)) }), on: connection,
                logger: store.logger)
        }
        let standings = chosen.map { wallet in
            let points = history.points[wallet] ?? []
            return (
                wallet,
                Quarantine.standing(
                    of: wallet, points: points, approvals: history.approvals, through: asOf, policy: policy.quarantineRules),
                points.last)
        }
        return Judged(policy: policy, mode: mode, asOf: asOf, standings: standings)
    }

    /// Why a quarantined whale is not released yet, or when it will be.
    static func outlook(_ quarantine: QuarantineEvent, last: Quarantine.Point?, judged: Judged, approvedBy: String?) -> String {
        let rules = judged.policy.quarantineRules
        guard let last else { return "no score" }
        let blockers = Quarantine.releaseBlockers(quarantine: quarantine, last: last, policy: rules)
        if !blockers.isEmpty { return "held: " + blockers.joined(separator: ", ") }
        let quiet = Quarantine.quietFrom(quarantine: quarantine, last: last, policy: rules)
        if quiet > judged.asOf { return "held: no losing day needed until \(quiet.utcText)" }
        if rules.approval == .operator, approvedBy == nil {
            return "eligible: awaiting an operator's approval (remora quarantine release \(quarantine.wallet.rawValue) --by NAME --reason TEXT)"
        }
        return "eligible"
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Followed whales in quarantine: since when, why, and what their release waits for.",
            discussion: """
                A whale is followed from its first score at or above REMORA_GATE_MIN_SCORE. Judged at the wall clock \
                in live mode, at the last stored score in strict event time (a replay's database), or at --at.
                """)
        @Flag(help: "Every followed whale, with its quarantines and releases.") var all = false
        @OptionGroup var profile: Profile
        @Option(help: "Judge as of this instant: unix seconds or an ISO 8601 time.") var at: String?

        func run() async throws {
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            let instant = try at.map(QuarantineCommand.instant)
            let environment = try profile.environment()
            let judged = try await Store.withRunning(configuration, logger: quietLogger()) { store in
                try await QuarantineCommand.judge(nil, at: instant, environment: environment, store: store)
            }
            let held = judged.standings.filter { $0.standing.current != nil }
            print(
                "as of \(judged.asOf.utcText): \(judged.standings.count) whales followed (WQS ≥ \(ExplainText.fixed(judged.policy.minimumScore, 2)) once), \(held.count) in quarantine; releases approved by \(judged.policy.quarantineRules.approval == .auto ? "nobody (auto)" : "an operator")"
            )
            for entry in all ? judged.standings : held {
                let score = entry.last.map { "WQS \(ExplainText.fixed($0.wqs, 2)), drawdown \(ExplainText.percent($0.drawdown))" } ?? "no score"
                if let current = entry.standing.current {
                    print("\(entry.wallet.rawValue)  quarantined since \(current.at.utcText)  (\(current.triggers.map(\.rawValue).joined(separator: ", ")))  now \(score)")
                    print("    \(current.detail)")
                    print("    \(QuarantineCommand.outlook(current, last: entry.last, judged: judged, approvedBy: nil))")
                } else {
                    print("\(entry.wallet.rawValue)  followed  now \(score)")
                }
                if all {
                    for event in entry.standing.events {
                        print("    \(event.at.utcText)  \(event.kind.rawValue)\(event.approvedBy.map { " (approved by \($0))" } ?? "")  \(event.detail)")
                    }
                }
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve the release of a quarantined whale (recorded with your name and reason).",
            discussion: """
                The approval stands for the whale's current quarantine. The release takes effect once its other \
                conditions hold too: WQS above REMORA_QUARANTINE_RELEASE_SCORE with no trigger holding, and \
                REMORA_QUARANTINE_QUIET_DAYS without a losing day and in quarantine. Its event time is now.
                """)
        @Argument(help: "The whale's wallet address.") var wallet: String
        @Option(help: "Who approves (kept with the approval).") var by: String
        @Option(help: "Why (kept with the approval).") var reason: String
        @OptionGroup var profile: Profile

        func run() async throws {
            guard let address = WalletAddress(wallet) else { throw ValidationError("not a wallet address: \(wallet)") }
            let by = by.trimmingCharacters(in: .whitespaces)
            let reason = reason.trimmingCharacters(in: .whitespaces)
            guard !by.isEmpty, !reason.isEmpty else { throw ValidationError("--by and --reason must not be empty") }
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            let now = EventTime.wallClockNow
            let environment = try profile.environment()
            let lines = try await Store.withRunning(configuration, logger: quietLogger()) { store -> [String] in
                let before = try await QuarantineCommand.judge([address], at: now, environment: environment, store: store)
                guard let current = before.standings.first?.standing.current else {
                    throw ValidationError("\(address.rawValue) is not in quarantine as of \(now.utcText) (remora quarantine list)")
                }
                try await store.transaction { connection in
                    try await QuarantineStore.approve(
                        QuarantineApproval(wallet: address, at: now, by: by, reason: reason), on: connection, logger: store.logger)
                }
                let after = try await QuarantineCommand.judge(
                    [address], at: now.adding(millis: 1), environment: environment, store: store)
                var lines = ["approved by \(by) at \(now.utcText): \(reason)"]
                if before.policy.quarantineRules.approval == .auto {
                    lines.append("note: releases are automatic here (REMORA_QUARANTINE_APPROVAL, or strict event time): the approval changes nothing")
                }
                if let entry = after.standings.first, entry.standing.current == nil {
                    lines.append("released: the other conditions hold; the signal gate copies this whale's next qualifying trade")
                } else {
                    lines.append(
                        QuarantineCommand.outlook(current, last: after.standings.first?.last, judged: after, approvedBy: by)
                            .replacingOccurrences(of: "held: ", with: "the release waits for: "))
                }
                return lines
            }
            print(lines.joined(separator: "\n"))
        }
    }

    static func instant(_ text: String) throws -> EventTime {
        if let seconds = Int64(text) { return EventTime(seconds: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return EventTime(millis: Int64(date.timeIntervalSince1970 * 1000)) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return EventTime(millis: Int64(date.timeIntervalSince1970 * 1000)) }
        throw ValidationError("not unix seconds nor an ISO 8601 time: \(text)")
    }
}
