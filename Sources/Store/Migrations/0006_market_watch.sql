-- Markets the resolver keeps current from Gamma: every market seen in a trade, until resolved.
CREATE TABLE market_watch (
    condition_id  text   PRIMARY KEY,
    first_seen    bigint NOT NULL,
    checked_at    bigint,
    status        text   NOT NULL DEFAULT 'new'   -- the resolution rule's last verdict, in words
);
CREATE INDEX market_watch_open ON market_watch (checked_at) WHERE status <> 'resolved';
