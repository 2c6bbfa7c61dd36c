-- Ingest over the Data API: which wallets are watched, how far each one's trades are stored,
-- and the history the API's depth cap keeps out of reach.

CREATE TABLE watched_wallets (
    wallet     text    PRIMARY KEY,
    partition  integer NOT NULL,
    source     text    NOT NULL,      -- 'config', 'discover', 'scorer'
    added_at   bigint  NOT NULL
);
CREATE INDEX watched_wallets_partition ON watched_wallets (partition);

CREATE TABLE wallet_cursors (
    wallet            text    PRIMARY KEY,
    newest_trade      bigint,             -- unix seconds of the newest trade stored
    as_of             bigint,             -- every trade up to this event time (unix s) is stored
    history_complete  boolean NOT NULL DEFAULT false,
    passes            bigint  NOT NULL DEFAULT 0,
    trades            bigint  NOT NULL DEFAULT 0
);

CREATE TABLE coverage_gaps (
    id           bigserial PRIMARY KEY,
    wallet       text   NOT NULL,
    from_time    bigint,                  -- unix seconds; NULL: the beginning of the history
    to_time      bigint NOT NULL,
    reason       text   NOT NULL,
    recorded_at  bigint NOT NULL
);
CREATE INDEX coverage_gaps_wallet ON coverage_gaps (wallet);
