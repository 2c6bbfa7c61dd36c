-- Every wallet's holding of every outcome token it traded, by average cost (AverageCostLedger):
-- rebuilt by the resolver from the position's stored fills whenever a fill or the market's
-- resolution arrives. Amounts in micro-USDC / micro-shares.
CREATE TABLE wallet_positions (
    wallet          text    NOT NULL,
    condition_id    text    NOT NULL,
    outcome_index   int     NOT NULL,
    shares          bigint  NOT NULL,
    cost            bigint  NOT NULL,
    realized        bigint  NOT NULL,   -- before fees: sales at the sale price, then the payout
    fees            bigint  NOT NULL,   -- taker fees paid
    fills           int     NOT NULL,
    unmatched_sold  bigint  NOT NULL,   -- shares sold beyond what listed trades bought
    resolved        boolean NOT NULL,
    through         bigint  NOT NULL,   -- event time (ms) of the last fill or resolution applied
    PRIMARY KEY (wallet, condition_id, outcome_index)
);
CREATE INDEX wallet_positions_market ON wallet_positions (condition_id);

-- Per-wallet realized P&L, net of fees: what `remora pnl` prints.
CREATE VIEW wallet_pnl AS
SELECT wallet, sum(realized - fees) AS realized_net, sum(fees) AS fees, sum(fills) AS fills,
       count(*) FILTER (WHERE shares > 0) AS open_positions, sum(unmatched_sold) AS unmatched_sold
FROM wallet_positions GROUP BY wallet;
