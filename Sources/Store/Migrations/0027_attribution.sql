-- The attributor's daily attribution (docs/attribution.md): its running state (our book as the
-- risk guard filled it, the copy-all benchmark and the rejected signals' shadow book, each
-- whale's position as its signals show it) and one row per closed day of event time.
CREATE TABLE attribution_state (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    next_day  bigint  NOT NULL,
    payload   jsonb   NOT NULL
);

CREATE TABLE attribution_days (
    day                   bigint PRIMARY KEY,  -- days since 1970-01-01 (UTC)
    nav_micros            bigint NOT NULL,
    benchmark_nav_micros  bigint NOT NULL,
    rejected_nav_micros   bigint NOT NULL,
    payload               jsonb  NOT NULL
);

-- The dashboard's latest orders and alerts, and each whale's last quarantine event.
CREATE INDEX order_decisions_time ON order_decisions (event_time);
CREATE INDEX alerts_time ON alerts (event_time);
CREATE INDEX alerts_quarantine ON alerts (key, event_time)
    WHERE payload->>'code' IN ('whale_quarantined', 'whale_released');
