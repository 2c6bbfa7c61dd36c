-- Price series were asked from the instant a decision needed, often mid-bucket, and the CLOB keeps
-- the first point of each bucket *inside the range asked*: a stored series' first bucket may hold
-- a later point than the bucket's first, and what a decision read then depended on which
-- decisions had asked before it. Series are now asked from a bucket's start (ClobMarketData);
-- this drops the first bucket of every stored series that did not start on one, to be fetched
-- whole when next needed.
DELETE FROM price_points p USING price_coverage c
WHERE p.token = c.token AND p.fidelity = c.fidelity
  AND c.from_ms % (c.fidelity::bigint * 60000) <> 0
  AND p.t < (c.from_ms / (c.fidelity::bigint * 60000) + 1) * (c.fidelity::bigint * 60000);
DELETE FROM price_coverage
WHERE from_ms % (fidelity::bigint * 60000) <> 0
  AND (from_ms / (fidelity::bigint * 60000) + 1) * (fidelity::bigint * 60000) > through_ms;
UPDATE price_coverage SET from_ms = (from_ms / (fidelity::bigint * 60000) + 1) * (fidelity::bigint * 60000)
WHERE from_ms % (fidelity::bigint * 60000) <> 0;
