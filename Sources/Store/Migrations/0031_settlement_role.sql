-- trade.settled carries the settled fill's role (taker or maker; NULL: not known), so that the
-- scorer can score what a copier can follow. A payload without a role reads as before (the
-- column is NULL, the rebuilt payload has no "role"). The typed append takes the roles as one
-- more array ('' for none); the functions are recreated with it.
ALTER TABLE trade_settlement_rows ADD COLUMN role text CHECK (role IN ('taker', 'maker', 'unknown'));

CREATE OR REPLACE FUNCTION remora_settlement_payload(r trade_settlement_rows) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'category', r.category, 'conditionId', r.condition_id, 'cost', remora_micros_text(r.cost_micros),
        'fee', remora_micros_text(r.fee_micros), 'payout', remora_micros_text(r.payout_micros),
        'price', remora_micros_text(r.price_micros), 'realizedPnl', remora_micros_text(r.realized_pnl_micros),
        'result', r.result, 'settledAt', r.event_time, 'side', r.side, 'size', remora_micros_text(r.size_micros),
        'tradeId', r.uid, 'tradeTime', r.trade_time, 'wallet', r.key)
        || CASE WHEN r.role IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('role', r.role) END
$$;

-- Payloads kept whole only for a role the columns could not hold become columns.
UPDATE trade_settlement_rows r SET role = r.payload->>'role', payload = NULL
WHERE r.payload IS NOT NULL AND r.payload->>'role' IN ('taker', 'maker', 'unknown')
  AND remora_settlement_payload(ROW(r.partition, r.seq, r.uid, r.key, r.event_time, r.produced_at, r.condition_id, r.category,
        r.side, r.result, r.size_micros, r.price_micros, r.payout_micros, r.cost_micros, r.fee_micros, r.realized_pnl_micros,
        r.trade_time, NULL, NULL, r.payload->>'role')::trade_settlement_rows) = r.payload;

-- The settlements' view gains the role (new columns go last).
CREATE OR REPLACE VIEW trade_settlements AS
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
       CASE WHEN r.payload IS NULL THEN r.trade_time::text ELSE (r.payload->'tradeTime')::text END AS trade_time,
       -- Integer price and payout for the scorer's ledger (the whale's edge per share).
       CASE WHEN r.payload IS NULL THEN r.price_micros ELSE remora_text_micros(r.payload->>'price') END AS price_micros,
       CASE WHEN r.payload IS NULL THEN r.payout_micros ELSE remora_text_micros(r.payload->>'payout') END AS payout_micros,
       -- The settled fill's role (NULL: not known).
       CASE WHEN r.payload IS NULL THEN r.role ELSE r.payload->>'role' END AS role
FROM trade_settlement_rows r;

DROP FUNCTION remora_append(text[], int[], text[], text[], bigint[], text[], bigint, text[], int[], bigint[], int[], text[],
    text[], bigint[], text[], text[], text[], text[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], bigint[]);
DROP FUNCTION remora_insert_trade_settlement_rows(int[], text[], text[], bigint[], text[], text[], text[], text[], bigint[],
    bigint[], bigint[], bigint[], bigint[], bigint[], bigint[], jsonb[], bigint);

CREATE FUNCTION remora_insert_trade_settlement_rows(
    partitions int[], uids text[], keys text[], event_times bigint[], condition_ids text[], categories text[],
    sides text[], results text[], sizes bigint[], prices bigint[], payouts bigint[], costs bigint[], fees bigint[],
    pnls bigint[], trade_times bigint[], payloads jsonb[], produced bigint, roles text[]
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
                        payouts, costs, fees, pnls, trade_times, payloads, roles)
                WITH ORDINALITY AS u(partition, uid, key, event_time, condition_id, category, side, result, size, price,
                                     payout, cost, fee, pnl, trade_time, payload, role, ord)
        ), inserted AS (
            INSERT INTO trade_settlement_rows AS t (
                partition, seq, uid, key, event_time, produced_at, condition_id, category, side, result, size_micros,
                price_micros, payout_micros, cost_micros, fee_micros, realized_pnl_micros, trade_time, payload, role)
            SELECT i.partition, heads[i.partition] + i.n, i.uid, i.key, i.event_time, produced, i.condition_id,
                   i.category, i.side, i.result, i.size, i.price, i.payout, i.cost, i.fee, i.pnl, i.trade_time, i.payload,
                   NULLIF(i.role, '')
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
                                 prices, payouts, costs, fees, pnls, trade_times, payloads, roles)
                WITH ORDINALITY AS u(partition, uid, key, event_time, condition_id, category, side, result, size, price,
                                     payout, cost, fee, pnl, trade_time, payload, role, ord)
        ), firsts AS (
            SELECT DISTINCT ON (i.uid) i.* FROM input i ORDER BY i.uid, i.ord
        ), fresh AS (
            SELECT f.*, row_number() OVER (PARTITION BY f.partition ORDER BY f.ord) AS n FROM firsts f
            WHERE NOT EXISTS (SELECT 1 FROM trade_settlement_rows e WHERE e.uid = f.uid)
        ), inserted AS (
            INSERT INTO trade_settlement_rows AS t (
                partition, seq, uid, key, event_time, produced_at, condition_id, category, side, result, size_micros,
                price_micros, payout_micros, cost_micros, fee_micros, realized_pnl_micros, trade_time, payload, role)
            SELECT f.partition, heads[f.partition] + f.n, f.uid, f.key, f.event_time, produced, f.condition_id,
                   f.category, f.side, f.result, f.size, f.price, f.payout, f.cost, f.fee, f.pnl, f.trade_time, f.payload,
                   NULLIF(f.role, '')
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
                   NULL, NULL,
                   CASE WHEN i.j->>'role' IN ('taker', 'maker', 'unknown') THEN i.j->>'role' END)::trade_settlement_rows AS r
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
           array_agg(coalesce((p.r).role, '') ORDER BY p.ord) AS roles,
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
        c.prices, c.payouts, c.costs, c.fees, c.pnls, c.trade_times, c.kept, produced, c.roles);
END
$fn$;

CREATE FUNCTION remora_append(
    streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
    produced bigint, mark_streams text[], mark_partitions int[], mark_times bigint[],
    settled_partitions int[], settled_uids text[], settled_keys text[], settled_event_times bigint[],
    condition_ids text[], categories text[], sides text[], results text[], sizes bigint[], prices bigint[],
    payouts bigint[], costs bigint[], fees bigint[], pnls bigint[], trade_times bigint[], roles text[]
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
        array_fill(NULL::jsonb, ARRAY[cardinality(settled_uids)]), produced, roles);
    IF cardinality(mark_streams) > 0 THEN
        UPDATE stream_heads h SET watermark = GREATEST(h.watermark, w.t)
        FROM unnest(mark_streams, mark_partitions, mark_times) AS w(s, p, t)
        WHERE h.stream = w.s AND h.partition = w.p;
    END IF;
END
$fn$;
