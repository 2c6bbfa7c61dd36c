-- The copy book's peak NAV as the risk guard saw it at its decisions and resolutions: the book's
-- drawdown below it sets k_dd = max(0.2, 1 − 3 × drawdown) on every entry (docs/strategy.md).
-- NULL: the initial cash.
ALTER TABLE portfolio ADD COLUMN peak_nav_micros bigint;
