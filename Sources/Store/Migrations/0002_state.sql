-- State the stages keep between messages. Money is BIGINT micro-units (6 decimals).

CREATE TABLE markets (
    condition_id  text    PRIMARY KEY,
    question      text    NOT NULL,
    category      text    NOT NULL,
    payload       jsonb   NOT NULL,
    resolved      boolean NOT NULL DEFAULT false,
    updated_at    bigint  NOT NULL
);

-- The scorer's running per-wallet figures (the score history itself is the whale_scores stream).
CREATE TABLE wallet_stats (
    wallet              text    PRIMARY KEY,
    settled_count       integer NOT NULL,
    wins                integer NOT NULL,
    realized_pnl_micros bigint  NOT NULL,
    volume_micros       bigint  NOT NULL,
    score               double precision NOT NULL,
    as_of               bigint  NOT NULL
);

-- The copy book, owned by the risk guard (a single writer: the book is one shared state).
CREATE TABLE portfolio (
    id                   integer PRIMARY KEY CHECK (id = 1),
    initial_cash_micros  bigint  NOT NULL,
    cash_micros          bigint  NOT NULL,
    realized_pnl_micros  bigint  NOT NULL DEFAULT 0,
    as_of                bigint  NOT NULL
);

CREATE TABLE positions (
    asset               text   PRIMARY KEY,
    condition_id        text   NOT NULL,
    outcome_index       integer NOT NULL,
    shares_micros       bigint NOT NULL,
    cost_micros         bigint NOT NULL,
    last_price_micros   bigint NOT NULL,
    realized_pnl_micros bigint NOT NULL DEFAULT 0,
    updated_at          bigint NOT NULL
);

-- The attributor's NAV history: one row per event time it observed.
CREATE TABLE portfolio_snapshots (
    as_of                 bigint PRIMARY KEY,
    nav_micros            bigint NOT NULL,
    cash_micros           bigint NOT NULL,
    exposure_micros       bigint NOT NULL,
    realized_pnl_micros   bigint NOT NULL,
    unrealized_pnl_micros bigint NOT NULL,
    open_positions        integer NOT NULL
);

-- Resolutions already applied to the book (the risk guard applies each exactly once).
CREATE TABLE book_resolutions (
    condition_id text   PRIMARY KEY,
    applied_at   bigint NOT NULL
);
