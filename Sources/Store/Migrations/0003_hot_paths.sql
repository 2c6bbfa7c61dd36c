-- Hot paths found by `remora bench pipeline`.

-- The gate scores a whale from its settlements before a trade: typed columns instead of
-- parsing JSON numerics per row, and an index that answers the query by itself.
ALTER TABLE trade_settlements
    ADD COLUMN won boolean GENERATED ALWAYS AS (payload->>'result' = 'win') STORED,
    ADD COLUMN cost_micros bigint GENERATED ALWAYS AS (((payload->>'cost')::numeric * 1000000)::bigint) STORED;
DROP INDEX trade_settlements_wallet;
CREATE INDEX trade_settlements_wallet ON trade_settlements (wallet, event_time)
    INCLUDE (won, realized_pnl_micros, cost_micros);

-- The risk guard finds undecided orders through a partial index instead of an anti-join over
-- every order ever proposed. It is the only writer of `decided`.
ALTER TABLE orders ADD COLUMN decided boolean NOT NULL DEFAULT false;
CREATE INDEX orders_pending ON orders (event_time, uid) WHERE NOT decided;
-- Orders decided before this column existed are not pending.
UPDATE orders o SET decided = true WHERE EXISTS (SELECT 1 FROM order_decisions d WHERE d.uid = o.uid);

-- Identical fills (same hash, asset, side, size, price and wallet) are numbered in the order the
-- source delivers them, across reads: the count so far lives here, committed with the cursor.
CREATE TABLE fill_occurrences (
    base_key text   PRIMARY KEY,
    seen     integer NOT NULL
);
