-- The risk guard's tamper-evident log (docs/risk.md, "Audit chain"): every decision, resolution
-- applied, change of trading state and operator action, in the order the single book owner took
-- them. `entry` is the canonical JSON that was hashed, kept as text (jsonb would reorder it);
-- hash = SHA-256(prev_hash || '\n' || entry). `recorded_at` is wall clock, outside the hash.
CREATE TABLE audit_chain (
    seq         bigint      PRIMARY KEY,
    event_time  bigint      NOT NULL,
    kind        text        NOT NULL,
    entry       text        NOT NULL,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
