-- One server-side call per step. Each round trip costs more (thread wake-ups on both sides, a
-- parse and plan per statement) than the work it carries, so the hot writes of a step run inside
-- PostgreSQL: a live consumer step is BEGIN, its handler's own statements, one call, COMMIT.
-- The protocol is unchanged (docs/architecture.md, "Durability protocol").
-- Result columns are named stored_* so that they never shadow a table column inside plpgsql.

-- Inserts one stream's rows, numbering each partition's new rows after its head, and moves the
-- heads; the caller holds the heads' locks. A uid already stored, or repeated in the input (first
-- one wins), is skipped before numbering, so each partition's seqs stay gapless. One function per
-- stream table, written out as static SQL so that PostgreSQL plans it once per session: the same
-- statement through EXECUTE was planned on every call and cost several times more.
DO $do$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY['trade','market.resolved','trade.settled','whale.score','signal',
                                  'order.proposed','order.decided','alert'] LOOP
        EXECUTE format($create$
            CREATE FUNCTION %1$I(
                streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
                produced bigint
            ) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
            LANGUAGE plpgsql AS $fn$
            #variable_conflict use_column
            BEGIN
                RETURN QUERY
                WITH input AS (
                    SELECT * FROM unnest(streams, partitions, uids, keys, event_times, payloads)
                        WITH ORDINALITY AS u(stream, partition, uid, key, event_time, payload, ord)
                    WHERE u.stream = %3$L
                ), firsts AS (
                    SELECT DISTINCT ON (i.uid) i.* FROM input i ORDER BY i.uid, i.ord
                ), fresh AS (
                    SELECT f.*, row_number() OVER (PARTITION BY f.partition ORDER BY f.ord) AS n FROM firsts f
                    WHERE NOT EXISTS (SELECT 1 FROM %2$I e WHERE e.uid = f.uid)
                ), inserted AS (
                    INSERT INTO %2$I AS t (partition, seq, uid, key, event_time, produced_at, payload)
                    SELECT f.partition, h.seq + f.n, f.uid, f.key, f.event_time, produced, f.payload::jsonb
                    FROM fresh f JOIN stream_heads h ON h.stream = %3$L AND h.partition = f.partition
                    ORDER BY f.partition, f.n
                    RETURNING t.partition, t.seq, t.uid
                ), moved AS (
                    UPDATE stream_heads h SET seq = m.last
                    FROM (SELECT i.partition, max(i.seq) AS last FROM inserted i GROUP BY i.partition) AS m
                    WHERE h.stream = %3$L AND h.partition = m.partition
                )
                SELECT %3$L::text, i.partition, i.seq, i.uid FROM inserted i;
            END
            $fn$
        $create$, 'remora_insert_' || remora_stream_table(target), remora_stream_table(target), target);
    END LOOP;
END
$do$;

-- Appends rows to stream tables and advances watermarks, in the caller's transaction. The heads of
-- every touched partition are locked first, in one global order (stream name in byte order, then
-- partition), so concurrent writers cannot deadlock and a partition's writers are serialised:
-- seq order is commit order. Returns what was stored.
CREATE FUNCTION remora_append(
    streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
    produced bigint, mark_streams text[], mark_partitions int[], mark_times bigint[]
) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    target text;
BEGIN
    PERFORM 1 FROM stream_heads h
    WHERE (h.stream, h.partition) IN (
        SELECT * FROM unnest(streams, partitions) UNION SELECT * FROM unnest(mark_streams, mark_partitions))
    ORDER BY h.stream COLLATE "C", h.partition
    FOR UPDATE;
    FOR target IN SELECT DISTINCT x FROM unnest(streams) AS x LOOP
        CASE target
            WHEN 'trade' THEN
                RETURN QUERY SELECT * FROM remora_insert_trades(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'market.resolved' THEN
                RETURN QUERY SELECT * FROM remora_insert_market_resolutions(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'trade.settled' THEN
                RETURN QUERY SELECT * FROM remora_insert_trade_settlements(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'whale.score' THEN
                RETURN QUERY SELECT * FROM remora_insert_whale_scores(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'signal' THEN
                RETURN QUERY SELECT * FROM remora_insert_signals(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'order.proposed' THEN
                RETURN QUERY SELECT * FROM remora_insert_orders(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'order.decided' THEN
                RETURN QUERY SELECT * FROM remora_insert_order_decisions(streams, partitions, uids, keys, event_times, payloads, produced);
            WHEN 'alert' THEN
                RETURN QUERY SELECT * FROM remora_insert_alerts(streams, partitions, uids, keys, event_times, payloads, produced);
        END CASE;
    END LOOP;
    IF cardinality(mark_streams) > 0 THEN
        UPDATE stream_heads h SET watermark = GREATEST(h.watermark, w.t)
        FROM unnest(mark_streams, mark_partitions, mark_times) AS w(s, p, t)
        WHERE h.stream = w.s AND h.partition = w.p;
    END IF;
END
$fn$;

-- A consumer step's commit: moves the consumer's cursors and appends its outputs, in the
-- caller's transaction. The cursor rows are the fence (a second owner of a partition, or a retry
-- after a commit whose acknowledgement was lost, must not apply twice): each moves only if it
-- still holds the seq the step started from; otherwise SQLSTATE RM001 aborts the transaction, with
-- everything the handler wrote, and the consumer re-reads its cursors.
CREATE FUNCTION remora_commit_step(
    consumer_name text, input_stream text, cursor_partitions int[], expected_seqs bigint[], new_seqs bigint[],
    cursor_watermarks bigint[],
    streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
    produced bigint, mark_streams text[], mark_partitions int[], mark_times bigint[]
) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    moved int;
BEGIN
    INSERT INTO consumer_cursors (consumer, stream, partition)
    SELECT consumer_name, input_stream, p FROM unnest(cursor_partitions) AS p ORDER BY p
    ON CONFLICT (consumer, stream, partition) DO NOTHING;
    PERFORM 1 FROM consumer_cursors c
    WHERE c.consumer = consumer_name AND c.stream = input_stream AND c.partition = ANY(cursor_partitions)
    ORDER BY c.partition
    FOR UPDATE;
    UPDATE consumer_cursors c SET seq = GREATEST(c.seq, x.n), watermark = GREATEST(c.watermark, x.w)
    FROM unnest(cursor_partitions, expected_seqs, new_seqs, cursor_watermarks) AS x(p, e, n, w)
    WHERE c.consumer = consumer_name AND c.stream = input_stream AND c.partition = x.p AND c.seq = x.e;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> coalesce(array_length(cursor_partitions, 1), 0) THEN
        RAISE EXCEPTION 'consumer % on %: a cursor moved since the step read it', consumer_name, input_stream
            USING ERRCODE = 'RM001';
    END IF;
    RETURN QUERY SELECT * FROM remora_append(
        streams, partitions, uids, keys, event_times, payloads, produced, mark_streams, mark_partitions, mark_times);
END
$fn$;

-- The copy book in one call: created on first use (when initial_cash is given), the portfolio row
-- locked until commit when asked (the risk guard's fence against a second instance), and read
-- with its positions in one snapshot.
CREATE FUNCTION remora_load_book(initial_cash bigint, lock_book boolean)
RETURNS TABLE (initial_cash_micros bigint, cash_micros bigint, realized_pnl_micros bigint, asset text,
               condition_id text, outcome_index int, shares_micros bigint, cost_micros bigint,
               last_price_micros bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    IF initial_cash IS NOT NULL THEN
        INSERT INTO portfolio (id, initial_cash_micros, cash_micros, as_of)
        VALUES (1, initial_cash, initial_cash, 0) ON CONFLICT (id) DO NOTHING;
    END IF;
    IF lock_book THEN
        PERFORM 1 FROM portfolio p WHERE p.id = 1 FOR UPDATE;
    END IF;
    RETURN QUERY
        SELECT p.initial_cash_micros, p.cash_micros, p.realized_pnl_micros,
               x.asset, x.condition_id, x.outcome_index, x.shares_micros, x.cost_micros, x.last_price_micros
        FROM portfolio p LEFT JOIN positions x ON true WHERE p.id = 1;
END
$fn$;

-- Saves the whole book: the portfolio row, and the positions as given (closed ones deleted). Only
-- rows that changed are written: the book is rewritten on every risk-guard step, and deleting and
-- inserting every position each time left the table bloated with dead rows that every read of the
-- book scanned (autovacuum cannot keep up with tens of rewrites a second). positions.updated_at is
-- the event time of the row's last change.
CREATE FUNCTION remora_save_book(
    cash bigint, realized bigint, as_of_time bigint, assets text[], condition_ids text[], outcome_indexes int[],
    shares bigint[], costs bigint[], marks bigint[]
) RETURNS void LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    UPDATE portfolio p SET cash_micros = cash, realized_pnl_micros = realized, as_of = GREATEST(p.as_of, as_of_time)
    WHERE p.id = 1;
    DELETE FROM positions x WHERE x.asset <> ALL(assets);
    INSERT INTO positions AS x (asset, condition_id, outcome_index, shares_micros, cost_micros, last_price_micros, updated_at)
    SELECT a, c, o, s, k, m, as_of_time FROM unnest(assets, condition_ids, outcome_indexes, shares, costs, marks) AS u(a, c, o, s, k, m)
    ON CONFLICT (asset) DO UPDATE SET condition_id = EXCLUDED.condition_id, outcome_index = EXCLUDED.outcome_index,
        shares_micros = EXCLUDED.shares_micros, cost_micros = EXCLUDED.cost_micros,
        last_price_micros = EXCLUDED.last_price_micros, updated_at = EXCLUDED.updated_at
    WHERE (x.condition_id, x.outcome_index, x.shares_micros, x.cost_micros, x.last_price_micros)
        IS DISTINCT FROM (EXCLUDED.condition_id, EXCLUDED.outcome_index, EXCLUDED.shares_micros, EXCLUDED.cost_micros,
                          EXCLUDED.last_price_micros);
END
$fn$;

-- The risk guard's writes for one step, in its transaction (the book row locked since the load):
-- resolutions applied to the book, the whole book, the decided orders marked, and the decisions
-- (and, in strict mode, the order.decided watermark) appended. Returns the stored decisions.
CREATE FUNCTION remora_commit_decisions(
    applied_conditions text[], applied_times bigint[], decided_orders text[],
    cash bigint, realized bigint, as_of_time bigint, assets text[], condition_ids text[], outcome_indexes int[],
    shares bigint[], costs bigint[], marks bigint[],
    streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
    produced bigint, mark_streams text[], mark_partitions int[], mark_times bigint[]
) RETURNS TABLE (stored_stream text, stored_partition int, stored_seq bigint, stored_uid text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    INSERT INTO book_resolutions (condition_id, applied_at) SELECT * FROM unnest(applied_conditions, applied_times);
    IF as_of_time IS NOT NULL THEN
        PERFORM remora_save_book(cash, realized, as_of_time, assets, condition_ids, outcome_indexes, shares, costs, marks);
    END IF;
    UPDATE orders o SET decided = true WHERE o.uid = ANY(decided_orders);
    RETURN QUERY SELECT * FROM remora_append(
        streams, partitions, uids, keys, event_times, payloads, produced, mark_streams, mark_partitions, mark_times);
END
$fn$;
