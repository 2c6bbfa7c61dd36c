-- The risk guard's position controls (docs/risk.md, "Stops and time exits"): each held token's
-- trailing stop (JSON: token → price) and the last control instant run (event time, ms).
ALTER TABLE portfolio ADD COLUMN stops text NOT NULL DEFAULT '{}';
ALTER TABLE portfolio ADD COLUMN controlled_through bigint;
