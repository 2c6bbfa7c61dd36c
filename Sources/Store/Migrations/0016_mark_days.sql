-- The scorer re-scores every wallet holding open fills at the start of each UTC day (its marks
-- move then: docs/scoring.md, "Open fills"). Per partition of trade.settled, the last day done;
-- moved in the same transaction as the scores and the consumer's cursor, and read by
-- `remora rescore` so that it rebuilds the same days.
CREATE TABLE scorer_mark_days (
    partition integer PRIMARY KEY,
    through   bigint  NOT NULL  -- days since 1970 (UTC)
);
