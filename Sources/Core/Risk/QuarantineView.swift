public import RemoraModel

/// The quarantine of the whales the book holds copies of, as the risk guard sees it: their score
/// points and the operators' approvals folded with the gate's own rules (``Quarantine``) as of any
/// instant. The gate decides quarantine for the trades it judges; the risk guard folds the same
/// history for what it already holds (docs/risk.md, "Quarantined whales"): each quarantine and
/// release of such a whale goes into the audit chain, and with `REMORA_RISK_CLOSE_QUARANTINED`
/// the whale's copies are sold. In strict event time every score up to the risk guard's horizon
/// is stored (the gate waits for the scorer, the sizer for the gate), so the fold is the same in
/// every run.
public struct QuarantineView: Sendable, Hashable {
    public var points: [WalletAddress: [Quarantine.Point]]
    public var approvals: [QuarantineApproval]
    public var policy: QuarantinePolicy
    /// Each wallet's fold through `horizon`, made once: the fold is causal (an event depends on
    /// nothing after it), so the standing at an instant up to the horizon is its events up to
    /// that instant. Without it a step folded each held whale's whole history again at every
    /// hourly control instant — a cost that grew with the square of the run's length.
    private var folded: [WalletAddress: Folded] = [:]
    public private(set) var horizon: EventTime?

    struct Folded: Sendable, Hashable {
        var events: [QuarantineEvent]
        var followedFrom: EventTime?
    }

    /// `horizon`: the latest instant the view will be asked about (the step's end); the points
    /// reach it. Instants after it are folded afresh.
    public init(
        points: [WalletAddress: [Quarantine.Point]] = [:], approvals: [QuarantineApproval] = [], policy: QuarantinePolicy,
        horizon: EventTime? = nil
    ) {
        self.points = points
        self.approvals = approvals
        self.policy = policy
        self.horizon = horizon
        guard let horizon else { return }
        for (wallet, list) in points {
            let standing = Quarantine.standing(of: wallet, points: list, approvals: approvals, through: horizon, policy: policy)
            let followedFrom = list.filter { $0.at <= horizon && $0.wqs >= policy.followFromScore }.map(\.at).min()
            folded[wallet] = Folded(events: standing.events, followedFrom: followedFrom)
        }
    }

    public func standing(of wallet: WalletAddress, through time: EventTime) -> Quarantine.Standing {
        if let horizon, time <= horizon {
            guard let fold = folded[wallet] else { return Quarantine.Standing() }
            var standing = Quarantine.Standing()
            standing.events = fold.events.prefix { $0.at <= time }.map { $0 }
            standing.followed = fold.followedFrom.map { $0 <= time } ?? false
            return standing
        }
        return Quarantine.standing(of: wallet, points: points[wallet] ?? [], approvals: approvals, through: time, policy: policy)
    }
}
