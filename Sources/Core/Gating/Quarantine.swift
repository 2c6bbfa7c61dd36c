public import RemoraModel

/// When a followed whale is put aside and when it may come back (docs/strategy.md, "Quarantine").
/// Every threshold is a signal-gate setting (`REMORA_QUARANTINE_*`), the roadmap's by default.
public struct QuarantinePolicy: Sendable, Hashable {
    /// Who approves a release: an operator (`remora quarantine release`, live mode's default) or
    /// nobody (`auto`: replays, backtests and strict event-time runs).
    public enum Approval: String, Sendable, Hashable, CaseIterable {
        case `operator`
        case auto
    }

    /// A whale is followed — and can be quarantined — from its first score at or above this (the
    /// whale gate's minimum score): a wallet that never qualified is not copied, not quarantined.
    public var followFromScore: Double
    public var enterBelowScore: Double
    public var enterAboveDrawdown: Double
    public var enterScoreDrop: Double
    public var dropWindowMillis: Int64
    public var releaseAboveScore: Double
    /// Days without a losing day, and in quarantine, before a release.
    public var quietMillis: Int64
    public var approval: Approval

    public init(
        followFromScore: Double = 75, enterBelowScore: Double = 50, enterAboveDrawdown: Double = 0.10,
        enterScoreDrop: Double = 25, dropWindowMillis: Int64 = 7 * EventTime.day, releaseAboveScore: Double = 60,
        quietMillis: Int64 = 7 * EventTime.day, approval: Approval = .operator
    ) {
        self.followFromScore = followFromScore
        self.enterBelowScore = enterBelowScore
        self.enterAboveDrawdown = enterAboveDrawdown
        self.enterScoreDrop = enterScoreDrop
        self.dropWindowMillis = dropWindowMillis
        self.releaseAboveScore = releaseAboveScore
        self.quietMillis = quietMillis
        self.approval = approval
    }
}

/// An operator's approval to release a quarantined whale (`remora quarantine release`), in event
/// time: it stands for the quarantine in effect when it was given.
public struct QuarantineApproval: Sendable, Hashable, Codable {
    public var wallet: WalletAddress
    public var at: EventTime
    public var by: String
    public var reason: String

    public init(wallet: WalletAddress, at: EventTime, by: String, reason: String) {
        self.wallet = wallet
        self.at = at
        self.by = by
        self.reason = reason
    }
}

/// A quarantine or a release, with why (stored as an `alert`; the gate's `quarantined` verdicts
/// name the one in effect).
public struct QuarantineEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case quarantined, released
    }

    /// Stable codes of what triggered a quarantine.
    public enum Trigger: String, Sendable, Hashable, Codable, CaseIterable {
        case scoreBelow = "score_below"
        case drawdown = "drawdown"
        case scoreDrop = "score_drop"
    }

    public var wallet: WalletAddress
    public var at: EventTime
    public var kind: Kind
    /// A quarantine's triggers (empty for a release).
    public var triggers: [Trigger]
    /// The values against their thresholds.
    public var detail: String
    /// Who approved a release: an operator's name, or `auto`.
    public var approvedBy: String?

    public init(
        wallet: WalletAddress, at: EventTime, kind: Kind, triggers: [Trigger], detail: String, approvedBy: String? = nil
    ) {
        self.wallet = wallet
        self.at = at
        self.kind = kind
        self.triggers = triggers
        self.detail = detail
        self.approvedBy = approvedBy
    }

    /// The natural key of the event's alert: one alert per event whoever computes it.
    public var alertId: String { "quarantine:\(wallet.rawValue):\(kind.rawValue):\(at.millis)" }

    public var alert: Alert {
        switch kind {
        case .quarantined:
            Alert(
                level: .warning, source: "signal-gate", code: "whale_quarantined",
                message: "whale \(wallet.rawValue) quarantined (\(triggers.map(\.rawValue).joined(separator: ", "))): \(detail)", at: at)
        case .released:
            Alert(
                level: .info, source: "signal-gate", code: "whale_released",
                message: "whale \(wallet.rawValue) released, approved by \(approvedBy ?? "?"): \(detail)", at: at)
        }
    }
}

/// Quarantine as a pure fold over a whale's score history (its `whale.score` figures, in event
/// time) and the operators' approvals:
/// - a whale is **followed** from its first score at or above ``QuarantinePolicy/followFromScore``;
/// - a followed whale is **quarantined** at the first score with WQS below 50, a drawdown above
///   10 %, or a WQS more than 25 points below its highest of the 7 days before;
/// - it is **released** at the first instant when its last score has WQS above 60 and no trigger,
///   7 days have passed since both its last losing day and the quarantine's start, and a release
///   is approved (an operator's approval given during the quarantine, or `auto`).
public enum Quarantine {
    /// One score of the history: the figures the triggers read.
    public struct Point: Sendable, Hashable {
        public var at: EventTime
        public var wqs: Double
        public var drawdown: Double
        public var lastLossAt: EventTime?

        public init(at: EventTime, wqs: Double, drawdown: Double, lastLossAt: EventTime?) {
            self.at = at
            self.wqs = wqs
            self.drawdown = drawdown
            self.lastLossAt = lastLossAt
        }

        public init(at: EventTime, figures: WhaleFigures) {
            self.init(at: at, wqs: figures.wqs, drawdown: figures.currentDrawdown, lastLossAt: figures.lastLossAt)
        }
    }

    /// The whale's standing as of an instant, and every event up to it.
    public struct Standing: Sendable, Hashable {
        public var events: [QuarantineEvent] = []
        public var followed = false

        /// The quarantine in effect (nil: none).
        public var current: QuarantineEvent? {
            guard let last = events.last, last.kind == .quarantined else { return nil }
            return last
        }
    }

    /// The standing of `wallet` through `through` (inclusive) from its score points (any order;
    /// those after `through` are ignored) and approvals.
    public static func standing(
        of wallet: WalletAddress, points unsorted: [Point], approvals: [QuarantineApproval], through: EventTime,
        policy: QuarantinePolicy
    ) -> Standing {
        let points = unsorted.filter { $0.at <= through }.sorted { $0.at < $1.at }
        let approvals = approvals.filter { $0.wallet == wallet && $0.at <= through }.sorted { $0.at < $1.at }
        var standing = Standing()
        for (index, point) in points.enumerated() {
            if let current = standing.current {
                // Released before this point, on the previous point's figures?
                if let release = releaseTime(
                    of: wallet, quarantine: current, last: points[index - 1], until: point.at, approvals: approvals, policy: policy)
                {
                    standing.events.append(release)
                } else {
                    continue
                }
            }
            if !standing.followed {
                guard point.wqs >= policy.followFromScore else { continue }
                standing.followed = true
            }
            let (triggers, detail) = Self.triggers(at: index, of: points, policy: policy)
            if !triggers.isEmpty {
                standing.events.append(
                    QuarantineEvent(wallet: wallet, at: point.at, kind: .quarantined, triggers: triggers, detail: detail))
            }
        }
        if let current = standing.current, let last = points.last,
            let release = releaseTime(
                of: wallet, quarantine: current, last: last, until: through.adding(millis: 1), approvals: approvals, policy: policy)
        {
            standing.events.append(release)
        }
        return standing
    }

    /// The triggers that hold at `points[index]`, and their values against the thresholds.
    static func triggers(at index: Int, of points: [Point], policy: QuarantinePolicy) -> ([QuarantineEvent.Trigger], String) {
        let point = points[index]
        var triggers: [QuarantineEvent.Trigger] = []
        var details: [String] = []
        if point.wqs < policy.enterBelowScore {
            triggers.append(.scoreBelow)
            details.append("WQS \(SignalGate.fixed(point.wqs, 2)) < \(SignalGate.fixed(policy.enterBelowScore, 2))")
        }
        if point.drawdown > policy.enterAboveDrawdown {
            triggers.append(.drawdown)
            details.append("drawdown \(SignalGate.percent(point.drawdown)) > \(SignalGate.percent(policy.enterAboveDrawdown))")
        }
        // The highest WQS over the window: the points inside it and the one in force at its start.
        let start = point.at.adding(millis: -policy.dropWindowMillis)
        var high = -Double.infinity
        var i = index - 1
        while i >= 0 {
            high = max(high, points[i].wqs)
            if points[i].at <= start { break }
            i -= 1
        }
        if high - point.wqs > policy.enterScoreDrop {
            triggers.append(.scoreDrop)
            details.append(
                "WQS fell \(SignalGate.fixed(high - point.wqs, 2)) points in \(policy.dropWindowMillis / EventTime.day) days (\(SignalGate.fixed(high, 2)) → \(SignalGate.fixed(point.wqs, 2))) > \(SignalGate.fixed(policy.enterScoreDrop, 2))")
        }
        return (triggers, details.joined(separator: "; "))
    }

    /// Whether the figures of `last` allow a release, and if not why (for the operator).
    public static func releaseBlockers(quarantine: QuarantineEvent, last: Point, policy: QuarantinePolicy) -> [String] {
        var blockers: [String] = []
        if !(last.wqs > policy.releaseAboveScore) {
            blockers.append("WQS \(SignalGate.fixed(last.wqs, 2)) ≤ \(SignalGate.fixed(policy.releaseAboveScore, 2))")
        }
        if last.drawdown > policy.enterAboveDrawdown {
            blockers.append("drawdown \(SignalGate.percent(last.drawdown)) > \(SignalGate.percent(policy.enterAboveDrawdown))")
        }
        return blockers
    }

    /// The earliest instant a release can take effect on `last`'s figures:
    /// 7 days after the later of the quarantine's start and the last losing day.
    public static func quietFrom(quarantine: QuarantineEvent, last: Point, policy: QuarantinePolicy) -> EventTime {
        let since = max(quarantine.at, last.lastLossAt ?? quarantine.at)
        return since.adding(millis: policy.quietMillis)
    }

    /// The release in [last.at, until) on `last`'s figures, if its conditions all hold there.
    static func releaseTime(
        of wallet: WalletAddress, quarantine: QuarantineEvent, last: Point, until: EventTime, approvals: [QuarantineApproval],
        policy: QuarantinePolicy
    ) -> QuarantineEvent? {
        guard releaseBlockers(quarantine: quarantine, last: last, policy: policy).isEmpty else { return nil }
        var at = max(last.at, quietFrom(quarantine: quarantine, last: last, policy: policy))
        let approver: String
        switch policy.approval {
        case .auto:
            approver = "auto"
        case .operator:
            // The first approval given during this quarantine.
            guard let approval = approvals.first(where: { $0.at > quarantine.at && $0.at < until }) else { return nil }
            at = max(at, approval.at)
            approver = approval.by
        }
        guard at < until else { return nil }
        let detail =
            "WQS \(SignalGate.fixed(last.wqs, 2)) > \(SignalGate.fixed(policy.releaseAboveScore, 2)), drawdown \(SignalGate.percent(last.drawdown)), "
            + "no losing day since \(last.lastLossAt.map(\.utcText) ?? "ever") and \(policy.quietMillis / EventTime.day) days in quarantine"
        return QuarantineEvent(wallet: wallet, at: at, kind: .released, triggers: [], detail: detail, approvedBy: approver)
    }
}

extension Quarantine {
    /// Every quarantine and release of a whale over its whole history (a replay knows it all at
    /// once: the fold is causal, each event depends on nothing after it).
    public static func events(
        of wallet: WalletAddress, points: [Point], approvals: [QuarantineApproval] = [], policy: QuarantinePolicy
    ) -> [QuarantineEvent] {
        guard let last = points.map(\.at).max() else { return [] }
        // Through far enough past the last score for a release that follows it.
        let through = last.adding(millis: policy.quietMillis + 365 * EventTime.day)
        return standing(of: wallet, points: points, approvals: approvals, through: through, policy: policy).events
    }

    /// The quarantine in effect strictly before `time` among `events` (in time order).
    public static func inEffect(_ events: [QuarantineEvent], before time: EventTime) -> QuarantineEvent? {
        var low = 0
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].at < time { low = mid + 1 } else { high = mid }
        }
        guard low > 0, events[low - 1].kind == .quarantined else { return nil }
        return events[low - 1]
    }
}
