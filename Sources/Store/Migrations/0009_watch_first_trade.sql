-- The earliest stored trade of a market the resolver has not checked on Gamma yet: its result,
-- unknown until then, may settle trades from that time on, so trade.settled's watermark stays
-- below it (a backfill brings markets whose results are long known).
ALTER TABLE market_watch ADD COLUMN first_trade bigint;
CREATE INDEX market_watch_unchecked ON market_watch (first_trade) WHERE checked_at IS NULL;
