-- The whale's edge per share (payout − price for a buy, price − payout for a sale) over its
-- settled trades that were not void: what the sizer shrinks toward zero (docs/strategy.md).
-- Rows scored before this migration read 0 trades until rescored.
ALTER TABLE wallet_scores
    ADD COLUMN edge_count     integer          NOT NULL DEFAULT 0,
    ADD COLUMN edge_mean      double precision NOT NULL DEFAULT 0,
    ADD COLUMN edge_deviation double precision NOT NULL DEFAULT 0;
ALTER TABLE wallet_score_days
    ADD COLUMN edge_count     integer          NOT NULL DEFAULT 0,
    ADD COLUMN edge_mean      double precision NOT NULL DEFAULT 0,
    ADD COLUMN edge_deviation double precision NOT NULL DEFAULT 0;

-- The settlements' view gains integer price and payout columns (new columns go last).
CREATE OR REPLACE VIEW trade_settlements AS
SELECT r.partition, r.seq, r.uid, r.key, r.event_time, r.produced_at,
       coalesce(r.payload, remora_settlement_payload(r)) AS payload,
       r.key AS wallet, r.realized_pnl_micros, r.won, r.cost_micros,
       CASE WHEN r.payload IS NULL THEN r.uid ELSE r.payload->>'tradeId' END AS trade_id,
       CASE WHEN r.payload IS NULL THEN r.condition_id ELSE r.payload->>'conditionId' END AS condition_id,
       CASE WHEN r.payload IS NULL THEN r.category ELSE r.payload->>'category' END AS category,
       CASE WHEN r.payload IS NULL THEN r.side ELSE r.payload->>'side' END AS side,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.size_micros) ELSE r.payload->>'size' END AS size,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.price_micros) ELSE r.payload->>'price' END AS price,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.payout_micros) ELSE r.payload->>'payout' END AS payout,
       CASE WHEN r.payload IS NULL THEN r.result ELSE r.payload->>'result' END AS result,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.cost_micros) ELSE r.payload->>'cost' END AS cost,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.fee_micros) ELSE r.payload->>'fee' END AS fee,
       CASE WHEN r.payload IS NULL THEN remora_micros_text(r.realized_pnl_micros) ELSE r.payload->>'realizedPnl' END
           AS realized_pnl,
       -- As (payload->'tradeTime')::text: the JSON number's text.
       CASE WHEN r.payload IS NULL THEN r.trade_time::text ELSE (r.payload->'tradeTime')::text END AS trade_time,
       -- Integer price and payout for the scorer's ledger (the whale's edge per share).
       CASE WHEN r.payload IS NULL THEN r.price_micros ELSE remora_text_micros(r.payload->>'price') END AS price_micros,
       CASE WHEN r.payload IS NULL THEN r.payout_micros ELSE remora_text_micros(r.payload->>'payout') END AS payout_micros
FROM trade_settlement_rows r;
