-- The risk guard rebuilds which whale each held token was bought for from its filled decisions,
-- at every book load (BookStore.load: filled rows of the held tokens). Without an index it read
-- every decision ever made, blocked exits included: a cost that grew with the run. The filled
-- ones are few; this serves the look-up by token.
CREATE INDEX order_decisions_filled_asset ON order_decisions ((payload->>'asset')) WHERE status = 'filled';
