-- The signal gate counts the "Yes" a whale's conversions paid in its positions (WhaleExitStore
-- standings): for every order, the whale's conversions before it. Conversions are few among a
-- whale's fills; this finds them without reading the others.
CREATE INDEX trades_conversions ON trades (wallet, event_time) WHERE payload->>'kind' = 'conversion';
