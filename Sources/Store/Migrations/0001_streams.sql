-- Streams: every bus stream is a table. A row's (partition, seq) is its position in the stream;
-- seq is assigned by the writer while it holds the partition's row in stream_heads FOR UPDATE,
-- so writers of one partition are serialised and a smaller seq can never commit after a larger
-- one (the outbox trap). `uid` is the natural key that makes every effect idempotent.
-- `watermark` is the event time through which the partition is complete: a consumer that has
-- read everything up to the head knows no later row will carry an earlier event time.

CREATE TABLE stream_heads (
    stream      text    NOT NULL,
    partition   integer NOT NULL,
    seq         bigint  NOT NULL DEFAULT 0,
    watermark   bigint  NOT NULL DEFAULT -9223372036854775808,
    PRIMARY KEY (stream, partition)
);

INSERT INTO stream_heads (stream, partition)
SELECT s, p FROM unnest(ARRAY['trade','market.resolved','trade.settled','whale.score','signal',
                              'order.proposed','order.decided','alert']) AS s,
                 generate_series(0, 15) AS p;

CREATE FUNCTION remora_stream_table(stream text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE stream
        WHEN 'trade' THEN 'trades'
        WHEN 'market.resolved' THEN 'market_resolutions'
        WHEN 'trade.settled' THEN 'trade_settlements'
        WHEN 'whale.score' THEN 'whale_scores'
        WHEN 'signal' THEN 'signals'
        WHEN 'order.proposed' THEN 'orders'
        WHEN 'order.decided' THEN 'order_decisions'
        WHEN 'alert' THEN 'alerts'
    END
$$;

-- One table per stream, same envelope columns, plus generated columns for the queries stages run.
CREATE FUNCTION remora_create_stream_table(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (
        partition   integer NOT NULL,
        seq         bigint  NOT NULL,
        uid         text    NOT NULL UNIQUE,
        key         text    NOT NULL,
        event_time  bigint  NOT NULL,
        produced_at bigint  NOT NULL,
        payload     jsonb   NOT NULL,
        PRIMARY KEY (partition, seq))', name);
END $$;

SELECT remora_create_stream_table(remora_stream_table(s))
FROM unnest(ARRAY['trade','market.resolved','trade.settled','whale.score','signal',
                  'order.proposed','order.decided','alert']) AS s;

ALTER TABLE trades
    ADD COLUMN wallet text GENERATED ALWAYS AS (payload->>'wallet') STORED,
    ADD COLUMN condition_id text GENERATED ALWAYS AS (payload->>'conditionId') STORED;
CREATE INDEX trades_condition ON trades (condition_id);
CREATE INDEX trades_wallet ON trades (wallet, event_time);

ALTER TABLE trade_settlements
    ADD COLUMN wallet text GENERATED ALWAYS AS (payload->>'wallet') STORED,
    ADD COLUMN realized_pnl_micros bigint
        GENERATED ALWAYS AS (((payload->>'realizedPnl')::numeric * 1000000)::bigint) STORED;
CREATE INDEX trade_settlements_wallet ON trade_settlements (wallet, event_time);

-- Score history: one row per change; the latest row per wallet at a time is its score then.
ALTER TABLE whale_scores
    ADD COLUMN wallet text GENERATED ALWAYS AS (payload->>'wallet') STORED,
    ADD COLUMN score double precision GENERATED ALWAYS AS ((payload->>'score')::double precision) STORED;
CREATE INDEX whale_scores_wallet_time ON whale_scores (wallet, event_time DESC, seq DESC);

ALTER TABLE signals
    ADD COLUMN accepted boolean GENERATED ALWAYS AS ((payload->>'accepted')::boolean) STORED,
    ADD COLUMN stage text GENERATED ALWAYS AS (payload->>'stage') STORED,
    ADD COLUMN reason text GENERATED ALWAYS AS (payload->>'reason') STORED;

CREATE INDEX orders_event_time ON orders (event_time, uid);

ALTER TABLE order_decisions
    ADD COLUMN status text GENERATED ALWAYS AS (payload->>'status') STORED,
    ADD COLUMN reason text GENERATED ALWAYS AS (payload->>'reason') STORED;

CREATE VIEW fills AS
    SELECT uid AS order_id, event_time, payload->>'asset' AS asset, payload->>'conditionId' AS condition_id,
           payload->>'side' AS side, payload->>'fillPrice' AS price, payload->>'fillShares' AS shares,
           payload->>'fillNotional' AS notional
    FROM order_decisions WHERE status = 'filled';

-- Where each consumer is in each input partition; committed with the consumer's outputs.
CREATE TABLE consumer_cursors (
    consumer  text    NOT NULL,
    stream    text    NOT NULL,
    partition integer NOT NULL,
    seq       bigint  NOT NULL DEFAULT 0,
    -- The upstream watermark this consumer has fully processed (event time, ms).
    watermark bigint  NOT NULL DEFAULT -9223372036854775808,
    PRIMARY KEY (consumer, stream, partition)
);

-- Position of a stage in an external source (an NDJSON file, an API cursor).
CREATE TABLE source_cursors (
    source     text   PRIMARY KEY,
    position   bigint NOT NULL DEFAULT 0,
    watermark  bigint NOT NULL DEFAULT -9223372036854775808
);

-- Bad input is never dropped: it is kept here with the reason, and the service goes on.
CREATE TABLE dead_letters (
    id         bigserial   PRIMARY KEY,
    service    text        NOT NULL,
    origin     text        NOT NULL,
    reason     text        NOT NULL,
    raw        text        NOT NULL,
    context    jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
