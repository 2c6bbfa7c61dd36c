-- trade.settled stored as typed columns (found by `remora bench settle`; measurements in
-- docs/architecture.md, "Ingest speed"). A settlement row was about 1 KB: the payload as jsonb
-- (600 bytes, the trade id and the wallet in it a second time), four columns generated from it
-- (a jsonb parse and two numeric casts per row) and a UNIQUE b-tree over the 200-byte uid, the
-- largest index of the table. Copying 200,000 rows into that shape took 3.7-7 s in PostgreSQL
-- alone; into the shape below about 1.8-2.2 s.
--
-- * `trade_settlement_rows` holds each settlement's fields as columns (money in micro-units, as
--   everywhere else), the trade id only as `uid`, the wallet only as `key`, the settlement time
--   only as `event_time`. `payload` is NULL unless the row's payload is not exactly what the
--   columns rebuild (a payload not written by `TradeSettlement.canonicalJSON`); then it is kept
--   whole, so that every payload reads back as it was appended.
-- * The uid stays unique through an exclusion constraint over a hash index (4-byte hash codes,
--   equal hashes compared on the uid itself): the same guarantee as UNIQUE (a concurrent append
--   of the same uid waits for the first and then fails), for an index a fifth the size.
-- * `trade_settlements` becomes a view with every column it had (`payload` rebuilt as the same
--   jsonb, `wallet`, `won`, `realized_pnl_micros`, `cost_micros`) plus the payload's fields as
--   text columns that read exactly like `payload->>'…'`, so readers pick fields without building
--   the payload. Appends go through `remora_insert_trade_settlements` as before (payload text
--   parsed in SQL), or, from the resolver, through `remora_append` with the settlements as typed
--   arrays (no JSON to send or parse).

-- A micro-unit amount as the canonical decimal text (`formatMicros` in Swift: no trailing zeros,
-- no fraction when whole).
CREATE FUNCTION remora_micros_text(micros bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT trim_scale(micros * 0.000001)::text
$$;

-- A JSON decimal field as micro-units, as the generated columns of 0001 computed it; NULL when the
-- text is not a number (the row then keeps its payload whole).
CREATE FUNCTION remora_text_micros(text text) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
                THEN (text::numeric * 1000000)::bigint END
$$;

CREATE TABLE trade_settlement_rows (
    partition           integer NOT NULL,
    seq                 bigint  NOT NULL,
    uid                 text    NOT NULL,
    key                 text    NOT NULL,
    event_time          bigint  NOT NULL,
    produced_at         bigint  NOT NULL,
    condition_id        text,
    category            text,
    side                text,
    result              text,
    size_micros         bigint,
    price_micros        bigint,
    payout_micros       bigint,
    cost_micros         bigint,
    fee_micros          bigint,
    realized_pnl_micros bigint,
    trade_time          bigint,
    won                 boolean GENERATED ALWAYS AS (result = 'win') STORED,
    payload             jsonb
);

-- The payload the columns stand for (the canonical JSON's fields, as jsonb).
CREATE FUNCTION remora_settlement_payload(r trade_settlement_rows) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'category', r.category, 'conditionId', r.condition_id, 'cost', remora_micros_text(r.cost_micros),
        'fee', remora_micros_text(r.fee_micros), 'payout', remora_micros_text(r.payout_micros),
        'price', remora_micros_text(r.price_micros), 'realizedPnl', remora_micros_text(r.realized_pnl_micros),
        'result', r.result, 'settledAt', r.event_time, 'side', r.side, 'size', remora_micros_text(r.size_micros),
        'tradeId', r.uid, 'tradeTime', r.trade_time, 'wallet', r.key)
$$;

-- Existing rows (their payloads were canonical or are kept whole). The wallet column becomes the
-- key's (the resolver always wrote the wallet as the key): a row where they differ stops the
-- migration rather than move between wallets. The old table's wallet index name is freed first.
DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM trade_settlements WHERE wallet IS DISTINCT FROM key) THEN
        RAISE EXCEPTION 'trade_settlements: a row whose payload wallet is not its key';
    END IF;
END
$check$;
ALTER INDEX trade_settlements_wallet RENAME TO trade_settlements_wallet_0001;
-- One pass: each row's columns, and its payload only where they do not rebuild it. The keys and
-- indexes are built afterwards (a sorted build, not a million inserts).
INSERT INTO trade_settlement_rows (
    partition, seq, uid, key, event_time, produced_at, condition_id, category, side, result, size_micros,
    price_micros, payout_micros, cost_micros, fee_micros, realized_pnl_micros, trade_time, payload)
SELECT (c.r).partition, (c.r).seq, (c.r).uid, (c.r).key, (c.r).event_time, (c.r).produced_at, (c.r).condition_id,
       (c.r).category, (c.r).side, (c.r).result, (c.r).size_micros, (c.r).price_micros, (c.r).payout_micros,
       (c.r).cost_micros, (c.r).fee_micros, (c.r).realized_pnl_micros, (c.r).trade_time,
       CASE WHEN remora_settlement_payload(c.r) = (c.r).payload THEN NULL ELSE (c.r).payload END
FROM (
    SELECT ROW(t.partition, t.seq, t.uid, t.key, t.event_time, t.produced_at, t.payload->>'conditionId',
               t.payload->>'category', t.payload->>'side', t.payload->>'result', remora_text_micros(t.payload->>'size'),
               remora_text_micros(t.payload->>'price'), remora_text_micros(t.payload->>'payout'),
               remora_text_micros(t.payload->>'cost'), remora_text_micros(t.payload->>'fee'),
               remora_text_micros(t.payload->>'realizedPnl'),
               CASE WHEN jsonb_typeof(t.payload->'tradeTime') = 'number' AND (t.payload->>'tradeTime') ~ '^-?[0-9]{1,18}$'
                    THEN (t.payload->>'tradeTime')::bigint END,
               NULL, t.payload)::trade_settlement_rows AS r
    FROM trade_settlements t
    OFFSET 0
) AS c;
DROP TABLE trade_settlements;

ALTER TABLE trade_settlement_rows ADD PRIMARY KEY (partition, seq),
    ADD CONSTRAINT trade_settlement_rows_uid EXCLUDE USING hash (uid WITH =);

-- The gate's and the scorer's index (0003's), under the wallet's column here: the key.
CREATE INDEX trade_settlements_wallet ON trade_settlement_rows (key, event_time)
    INCLUDE (won, realized_pnl_micros, cost_micros);

-- Every column of the old table, and each payload field as `payload->>'…'` would read it.
CREATE VIEW trade_settlements AS
SELECT r.partition, r.seq, r.uid, r.key, r.event_time, r.produced_at,
       coalesce(r.payload, remora_settlement_payload(r)) AS payload,
       r.key AS wallet, r.realized_pnl_micros, r.won, r.cost_micros,
       CASE WHEN r.payload IS NULL THEN r.uid ELSE r.payload->>'tradeId' END AS trade_id,
       CASE WHEN r.payload IS NULL THEN r.condition_id ELSE r.payload->>'conditionId' END AS condition_id,
       CASE WHEN r.payload IS NULL THEN r.category ELSE r.payload->>'category' END AS category,
       CASE WHEN r.payload IS NULL THEN r.side ELSE r.payload->>'side' END AS side,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.size_micros) ELSE r.payload->>'size' END AS size,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.price_micros) ELSE r.payload->>'price' END AS price,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.payout_micros) ELSE r.payload->>'payout' END AS payout,
       CASE WHEN r.payload IS NULL THEN r.result ELSE r.payload->>'result' END AS result,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.cost_micros) ELSE r.payload->>'cost' END AS cost,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.fee_micros) ELSE r.payload->>'fee' END AS fee,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.realized_pnl_micros) ELSE r.payload->>'realizedPnl' END
           AS realized_pnl,
       -- As (payload->'tradeTime')::text: the JSON number's text.
       CASE WHEN r.payload IS NULL THEN r.trade_time::text ELSE (r.payload->'tradeTime')::text END AS trade_time
FROM trade_settlement_rows r;

-- Inserts settlements given as columns, numbering each partition's new rows after its head, and
-- moves the heads; the caller holds the heads' locks. The contract of 0012's remora_insert_*: a uid
-- already stored, or repeated in the input (first one wins), is skipped before numbering; fast
-- path without the look-ups (the exclusion constraint checks), careful path when it objects.
-- `payloads` holds, per row, NULL or the payload to keep whole.
CREATE FUNCTION remora_insert_trade_settlement_rows(
    partitions int[], uids text[], keys text[], event_times bigint[], condition_ids text[], categories text[],
    sides text[], results text[], sizes bigint[], prices bigint[], payouts bigint[], costs bigint[], fees bigint[],
    pnls bigint[], trade_times bigint[], payloads jsonb[], produced bigint
) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
LANGUAGE plpgsql SET work_mem = '64MB' AS $fn$
#variable_conflict use_column
DECLARE
    heads bigint[];
    head_partition int;
    head_seq bigint;
    done_partitions int[];
    done_seqs bigint[];
    done_uids text[];
BEGIN
    IF cardinality(uids) = 0 THEN
        RETURN;
    END IF;
    FOR head_partition, head_seq IN
        SELECT h.partition, h.seq FROM stream_heads h WHERE h.stream = 'trade.settled' ORDER BY h.partition
    LOOP
        heads[head_partition] := head_seq;
    END LOOP;
    IF EXISTS (SELECT 1 FROM unnest(partitions) AS p WHERE heads[p] IS NULL) THEN
        RAISE EXCEPTION 'stream trade.settled: a partition without a head row';
    END IF;
    BEGIN
        WITH input AS (
            SELECT u.*, row_number() OVER (PARTITION BY u.partition ORDER BY u.ord) AS n
            FROM unnest(partitions, uids, keys, event_times, condition_ids, categories, sides, results, sizes, prices,
                        payouts, costs, fees, pnls, trade_times, payloads)
                WITH ORDINALITY AS u(partition, uid, key, event_time, condition_id, category, side, result, size, price,
                                     payout, cost, fee, pnl, trade_time, payload, ord)
        ), inserted AS (
            INSERT INTO trade_settlement_rows AS t (
                partition, seq, uid, key, event_time, produced_at, condition_id, category, side, result, size_micros,
                price_micros, payout_micros, cost_micros, fee_micros, realized_pnl_micros, trade_time, payload)
            SELECT i.partition, heads[i.partition] + i.n, i.uid, i.key, i.event_time, produced, i.condition_id,
                   i.category, i.side, i.result, i.size, i.price, i.payout, i.cost, i.fee, i.pnl, i.trade_time, i.payload
            FROM input i
            ORDER BY i.partition, i.ord
            RETURNING t.partition, t.seq, t.uid
        )
        SELECT array_agg(i.partition), array_agg(i.seq), array_agg(i.uid)
        INTO done_partitions, done_seqs, done_uids
        FROM inserted i;
    EXCEPTION WHEN exclusion_violation OR unique_violation THEN
        done_partitions := NULL;
    END;
    IF done_partitions IS NULL THEN
        WITH input AS (
            SELECT * FROM unnest(partitions, uids, keys, event_times, condition_ids, categories, sides, results, sizes,
                                 prices, payouts, costs, fees, pnls, trade_times, payloads)
                WITH ORDINALITY AS u(partition, uid, key, event_time, condition_id, category, side, result, size, price,
                                     payout, cost, fee, pnl, trade_time, payload, ord)
        ), firsts AS (
            SELECT DISTINCT ON (i.uid) i.* FROM input i ORDER BY i.uid, i.ord
        ), fresh AS (
            SELECT f.*, row_number() OVER (PARTITION BY f.partition ORDER BY f.ord) AS n FROM firsts f
            WHERE NOT EXISTS (SELECT 1 FROM trade_settlement_rows e WHERE e.uid = f.uid)
        ), inserted AS (
            INSERT INTO trade_settlement_rows AS t (
                partition, seq, uid, key, event_time, produced_at, condition_id, category, side, result, size_micros,
                price_micros, payout_micros, cost_micros, fee_micros, realized_pnl_micros, trade_time, payload)
            SELECT f.partition, heads[f.partition] + f.n, f.uid, f.key, f.event_time, produced, f.condition_id,
                   f.category, f.side, f.result, f.size, f.price, f.payout, f.cost, f.fee, f.pnl, f.trade_time, f.payload
            FROM fresh f
            ORDER BY f.partition, f.n
            RETURNING t.partition, t.seq, t.uid
        )
        SELECT array_agg(i.partition), array_agg(i.seq), array_agg(i.uid)
        INTO done_partitions, done_seqs, done_uids
        FROM inserted i;
    END IF;
    IF done_partitions IS NULL THEN
        RETURN;
    END IF;
    UPDATE stream_heads h SET seq = m.last
    FROM (SELECT d.partition, max(d.seq) AS last FROM unnest(done_partitions, done_seqs) AS d(partition, seq)
          GROUP BY d.partition) AS m
    WHERE h.stream = 'trade.settled' AND h.partition = m.partition;
    RETURN QUERY SELECT 'trade.settled'::text, d.partition, d.seq, d.uid
        FROM unnest(done_partitions, done_seqs, done_uids) AS d(partition, seq, uid);
END
$fn$;

-- The generic append of trade.settled (payloads as JSON text, e.g. from a consumer step): each
-- payload parsed once into the columns; kept whole when they do not rebuild it exactly. The
-- wallet index is the key's, so a payload whose wallet is not its key is refused.
CREATE OR REPLACE FUNCTION remora_insert_trade_settlements(
    streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
    produced bigint
) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    c record;
BEGIN
    WITH input AS (
        SELECT u.partition, u.uid, u.key, u.event_time, u.payload::jsonb AS j, u.ord
        FROM unnest(streams, partitions, uids, keys, event_times, payloads)
            WITH ORDINALITY AS u(stream, partition, uid, key, event_time, payload, ord)
        WHERE u.stream = 'trade.settled'
    ), parsed AS (
        SELECT i.partition, i.uid, i.key, i.event_time, i.j, i.ord,
               ROW(i.partition, 0, i.uid, i.key, i.event_time, 0, i.j->>'conditionId', i.j->>'category', i.j->>'side',
                   i.j->>'result', remora_text_micros(i.j->>'size'), remora_text_micros(i.j->>'price'),
                   remora_text_micros(i.j->>'payout'), remora_text_micros(i.j->>'cost'),
                   remora_text_micros(i.j->>'fee'), remora_text_micros(i.j->>'realizedPnl'),
                   CASE WHEN jsonb_typeof(i.j->'tradeTime') = 'number' AND (i.j->>'tradeTime') ~ '^-?[0-9]{1,18}$'
                        THEN (i.j->>'tradeTime')::bigint END,
                   NULL, NULL)::trade_settlement_rows AS r
        FROM input i
    )
    SELECT array_agg(p.partition ORDER BY p.ord) AS partitions, array_agg(p.uid ORDER BY p.ord) AS uids,
           array_agg(p.key ORDER BY p.ord) AS keys, array_agg(p.event_time ORDER BY p.ord) AS event_times,
           array_agg((p.r).condition_id ORDER BY p.ord) AS condition_ids,
           array_agg((p.r).category ORDER BY p.ord) AS categories, array_agg((p.r).side ORDER BY p.ord) AS sides,
           array_agg((p.r).result ORDER BY p.ord) AS results, array_agg((p.r).size_micros ORDER BY p.ord) AS sizes,
           array_agg((p.r).price_micros ORDER BY p.ord) AS prices,
           array_agg((p.r).payout_micros ORDER BY p.ord) AS payouts,
           array_agg((p.r).cost_micros ORDER BY p.ord) AS costs, array_agg((p.r).fee_micros ORDER BY p.ord) AS fees,
           array_agg((p.r).realized_pnl_micros ORDER BY p.ord) AS pnls,
           array_agg((p.r).trade_time ORDER BY p.ord) AS trade_times,
           array_agg(CASE WHEN remora_settlement_payload(p.r) = p.j THEN NULL ELSE p.j END ORDER BY p.ord) AS kept,
           bool_or((p.j->>'wallet') IS DISTINCT FROM p.key) AS foreign_wallet
    INTO c
    FROM parsed p;
    IF c.foreign_wallet THEN
        RAISE EXCEPTION 'stream trade.settled: a payload whose wallet is not its key';
    END IF;
    IF c.uids IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT * FROM remora_insert_trade_settlement_rows(
        c.partitions, c.uids, c.keys, c.event_times, c.condition_ids, c.categories, c.sides, c.results, c.sizes,
        c.prices, c.payouts, c.costs, c.fees, c.pnls, c.trade_times, c.kept, produced);
END
$fn$;

-- remora_append (0007) with trade.settled given as columns: `streams` … `payloads` carry the other
-- streams' records, the settled_* arrays the settlements, in stream order. The heads of every
-- touched partition are locked first, in the global order, as in 0007.
CREATE FUNCTION remora_append(
    streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
    produced bigint, mark_streams text[], mark_partitions int[], mark_times bigint[],
    settled_partitions int[], settled_uids text[], settled_keys text[], settled_event_times bigint[],
    condition_ids text[], categories text[], sides text[], results text[], sizes bigint[], prices bigint[],
    payouts bigint[], costs bigint[], fees bigint[], pnls bigint[], trade_times bigint[]
) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    IF 'trade.settled' = ANY(streams) THEN
        RAISE EXCEPTION 'remora_append: trade.settled given both as payloads and as columns';
    END IF;
    PERFORM 1 FROM stream_heads h
    WHERE (h.stream, h.partition) IN (
        SELECT * FROM unnest(streams, partitions)
        UNION SELECT 'trade.settled', p FROM unnest(settled_partitions) AS p
        UNION SELECT * FROM unnest(mark_streams, mark_partitions))
    ORDER BY h.stream COLLATE "C", h.partition
    FOR UPDATE;
    RETURN QUERY SELECT * FROM remora_append(
        streams, partitions, uids, keys, event_times, payloads, produced, ARRAY[]::text[], ARRAY[]::int[],
        ARRAY[]::bigint[]);
    RETURN QUERY SELECT * FROM remora_insert_trade_settlement_rows(
        settled_partitions, settled_uids, settled_keys, settled_event_times, condition_ids, categories, sides, results,
        sizes, prices, payouts, costs, fees, pnls, trade_times,
        array_fill(NULL::jsonb, ARRAY[cardinality(settled_uids)]), produced);
    IF cardinality(mark_streams) > 0 THEN
        UPDATE stream_heads h SET watermark = GREATEST(h.watermark, w.t)
        FROM unnest(mark_streams, mark_partitions, mark_times) AS w(s, p, t)
        WHERE h.stream = w.s AND h.partition = w.p;
    END IF;
END
$fn$;
