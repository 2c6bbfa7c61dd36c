-- Faster stream inserts (found by `remora bench backfill` and `remora bench settle`): the same
-- contract as the remora_insert_* functions of 0007 (one stream's rows numbered after each
-- partition's head, in input order; a uid already stored, or repeated in the input (first one
-- wins), skipped before numbering, so each partition's seqs stay gapless; the heads moved; the
-- caller holds the heads' locks), cheaper:
--
-- * The heads are read once into an array and each row's seq is head + its rank in its partition.
--   0007 joined every row to stream_heads, and the generic plan (which sees arrays of unknown
--   size) chose a nested loop that scanned stream_heads once per row: ~15 % of an append.
-- * Fast path: the rows are inserted without looking for stored or repeated uids first; the uid
--   index's own uniqueness check does that look-up once, instead of a sort by uid and an anti-join
--   that walked the same index a second time. If any uid is already stored or repeated, the whole
--   fast attempt is rolled back (a subtransaction) and the careful path of 0007 runs instead, so
--   the outcome is identical in every case; re-runs pay the careful price, first writes do not.
-- * work_mem 64MB for the call: a 20,000-row append sorted on disk (external merges) at 4MB.
DO $do$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY['trade','market.resolved','trade.settled','whale.score','signal',
                                  'order.proposed','order.decided','alert'] LOOP
        EXECUTE format($create$
            CREATE OR REPLACE FUNCTION %1$I(
                streams text[], partitions int[], uids text[], keys text[], event_times bigint[], payloads text[],
                produced bigint
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
                FOR head_partition, head_seq IN
                    SELECT h.partition, h.seq FROM stream_heads h WHERE h.stream = %3$L ORDER BY h.partition
                LOOP
                    heads[head_partition] := head_seq;
                END LOOP;
                IF EXISTS (SELECT 1 FROM unnest(streams, partitions) AS u(stream, partition)
                           WHERE u.stream = %3$L AND heads[u.partition] IS NULL) THEN
                    RAISE EXCEPTION 'stream %%: a partition without a head row', %3$L;
                END IF;
                -- Fast path: every uid new and distinct (the uid index checks it while inserting).
                BEGIN
                    WITH input AS (
                        SELECT u.*, row_number() OVER (PARTITION BY u.partition ORDER BY u.ord) AS n
                        FROM unnest(streams, partitions, uids, keys, event_times, payloads)
                            WITH ORDINALITY AS u(stream, partition, uid, key, event_time, payload, ord)
                        WHERE u.stream = %3$L
                    ), inserted AS (
                        INSERT INTO %2$I AS t (partition, seq, uid, key, event_time, produced_at, payload)
                        SELECT i.partition, heads[i.partition] + i.n, i.uid, i.key, i.event_time, produced, i.payload::jsonb
                        FROM input i
                        ORDER BY i.partition, i.ord
                        RETURNING t.partition, t.seq, t.uid
                    )
                    SELECT array_agg(i.partition), array_agg(i.seq), array_agg(i.uid)
                    INTO done_partitions, done_seqs, done_uids
                    FROM inserted i;
                EXCEPTION WHEN unique_violation THEN
                    done_partitions := NULL;
                END;
                IF done_partitions IS NULL THEN
                    -- Careful path (0007's): some uid is stored already or repeated in the input.
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
                        SELECT f.partition, heads[f.partition] + f.n, f.uid, f.key, f.event_time, produced, f.payload::jsonb
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
                WHERE h.stream = %3$L AND h.partition = m.partition;
                RETURN QUERY SELECT %3$L::text, d.partition, d.seq, d.uid FROM unnest(done_partitions, done_seqs, done_uids) AS d(partition, seq, uid);
            END
            $fn$
        $create$, 'remora_insert_' || remora_stream_table(target), remora_stream_table(target), target);
    END LOOP;
END
$do$;
