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

    public init(points: [WalletAddress: [Quarantine.Point]] = [:], approvals: [QuarantineApproval] = [], policy: QuarantinePolicy) {
        self.points = points
        self.approvals = approvals
        self.policy = policy
    }

    public func standing(of wallet: WalletAddress, through time: EventTime) -> Quarantine.Standing {
        Quarantine.standing(of: wallet, points: points[wallet] ?? [], approvals: approvals, through: time, policy: policy)
    }
}
