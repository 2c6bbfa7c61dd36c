-- The entries the book filled in the last minute of event time (JSON: at, wallet, asset): the
-- risk guard's order-rate limit and duplicate guard read them (docs/risk.md, "Pre-trade checks").
ALTER TABLE portfolio ADD COLUMN recent_entries text NOT NULL DEFAULT '[]';
