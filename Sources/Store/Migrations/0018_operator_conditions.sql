-- The durable path under an operator's conditions (issue 19).
--
-- A wallet whose passes keep failing must not hold its partition's `trade` watermark back for
-- everyone: after REMORA_FETCHER_UNHEALTHY_PASSES failed passes in a row it is marked unhealthy
-- (alert, log, coverage gap) and the watermark goes on without it; a successful pass clears it.
ALTER TABLE wallet_cursors
    ADD COLUMN failed_passes   int    NOT NULL DEFAULT 0,
    ADD COLUMN unhealthy_since bigint;             -- unix seconds; NULL: healthy

-- Dead letters can be replayed (`remora dead-letters replay`): the owning service takes the row
-- through its normal path once; one that still fails goes back to 'dead' with its new reason.
ALTER TABLE dead_letters
    ADD COLUMN status      text   NOT NULL DEFAULT 'dead'
        CHECK (status IN ('dead', 'replay', 'replayed')),
    ADD COLUMN attempts    int    NOT NULL DEFAULT 0,
    ADD COLUMN replayed_at timestamptz;
CREATE INDEX dead_letters_replay ON dead_letters (service, id) WHERE status = 'replay';

-- A row read again (a page re-read by the next pass) is not dead-lettered twice while the first
-- letter is still dead.
CREATE INDEX dead_letters_same ON dead_letters (service, origin, md5(raw)) WHERE status = 'dead';
