-- Whale quarantine (docs/strategy.md): the state is a pure fold of the whale's score history and
-- the operators' approvals, so only the approvals are stored here (the quarantines and releases
-- themselves are `alert` rows, one per event, keyed by wallet, kind and instant).
CREATE TABLE quarantine_approvals (
    id          bigserial PRIMARY KEY,
    wallet      text        NOT NULL,
    at          bigint      NOT NULL,          -- event time of the approval, unix ms
    approved_by text        NOT NULL,
    reason      text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_approvals_wallet ON quarantine_approvals (wallet, at);

-- A followed whale's history is read by its score column and time: the wallets that ever reached
-- a score, for `remora quarantine list`.
CREATE INDEX whale_scores_score ON whale_scores (score, wallet);
