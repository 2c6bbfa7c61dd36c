-- Market data as of event time (docs/architecture.md, "Market data").

-- A token's price series already past never changes: read once from the CLOB's
-- /prices-history, kept here, and read from here ever after (a restart included).
CREATE TABLE price_points (
    token        text    NOT NULL,
    fidelity     integer NOT NULL CHECK (fidelity > 0),  -- minutes per point
    t            bigint  NOT NULL,                       -- unix ms
    price_micros bigint  NOT NULL CHECK (price_micros BETWEEN 0 AND 1000000),
    PRIMARY KEY (token, fidelity, t)
);

-- What of each series is stored: every point of [from_ms, through_ms] is in price_points (one
-- interval per series, extended at either end, so "is it stored?" is one row).
CREATE TABLE price_coverage (
    token      text    NOT NULL,
    fidelity   integer NOT NULL,
    from_ms    bigint  NOT NULL,
    through_ms bigint  NOT NULL CHECK (through_ms >= from_ms),
    PRIMARY KEY (token, fidelity)
);

-- A market's trading terms, one row each time they were seen to change: a decision reads the
-- version in force at its event time (end dates and fees do change).
CREATE TABLE market_terms (
    condition_id         text    NOT NULL,
    seen_at              bigint  NOT NULL,  -- event time, unix ms
    end_date             bigint,
    closed_at            bigint,
    accepting_orders     boolean NOT NULL,
    taker_fee_bps        integer NOT NULL CHECK (taker_fee_bps >= 0),
    tick_micros          bigint  NOT NULL CHECK (tick_micros > 0),
    minimum_order_micros bigint  NOT NULL CHECK (minimum_order_micros >= 0),
    PRIMARY KEY (condition_id, seen_at)
);
