-- Open fills marked to market in the scores (scorer method wqs.v2, docs/scoring.md):
-- * marks are the last fill of a market before a day's start, found by a backward scan of this
--   index (it replaces trades_condition, whose look-ups by market it serves as well);
-- * the score tables keep what is open at the score's time and its mark-to-market P&L.
CREATE INDEX trades_condition_time ON trades (condition_id, event_time, partition, seq);
DROP INDEX trades_condition;

ALTER TABLE wallet_scores
    ADD COLUMN open_fills            integer NOT NULL DEFAULT 0,
    ADD COLUMN open_cost_micros      bigint  NOT NULL DEFAULT 0,
    ADD COLUMN unrealized_pnl_micros bigint  NOT NULL DEFAULT 0;
ALTER TABLE wallet_score_days
    ADD COLUMN open_fills            integer NOT NULL DEFAULT 0,
    ADD COLUMN open_cost_micros      bigint  NOT NULL DEFAULT 0,
    ADD COLUMN unrealized_pnl_micros bigint  NOT NULL DEFAULT 0;
