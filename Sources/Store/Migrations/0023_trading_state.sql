-- The copy book's trading state (docs/risk.md, "mVaR and the trading state"): the state its mVaR
-- put it in (ACTIVE, or REDUCING until the mVaR is back under the lower threshold), the operator's
-- halt in force, and how far the operators' actions have been applied.
ALTER TABLE portfolio ADD COLUMN measured_state text NOT NULL DEFAULT 'ACTIVE'
    CHECK (measured_state IN ('ACTIVE', 'REDUCING'));
ALTER TABLE portfolio ADD COLUMN halt_action bigint;
ALTER TABLE portfolio ADD COLUMN actions_through bigint NOT NULL DEFAULT 0;

-- `remora risk halt|resume`: operators' actions, in event time. The risk guard applies each once,
-- in event-time order with the orders in strict mode (a replay sees it at the same place), and
-- before whatever it decides next in live mode.
CREATE TABLE risk_actions (
    id          bigserial   PRIMARY KEY,
    at          bigint      NOT NULL,          -- event time, unix ms
    action      text        NOT NULL CHECK (action IN ('halt', 'resume')),
    acted_by    text        NOT NULL,
    reason      text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
