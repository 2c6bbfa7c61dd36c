-- The scorer's figures per wallet (Sources/Core/Scoring, docs/scoring.md): the current ones (the
-- dashboard's score table) and one row per wallet per UTC day, the day's last score, so that
-- "WQS a week ago" and trends are queries. Ratios are 0, never NaN, when undefined.
CREATE TABLE wallet_scores (
    wallet                 text             PRIMARY KEY,
    as_of                  bigint           NOT NULL,
    method                 text             NOT NULL,
    wqs                    double precision NOT NULL,
    settled_trades         integer          NOT NULL,
    wins                   integer          NOT NULL,
    losses                 integer          NOT NULL,
    volume_micros          bigint           NOT NULL,
    realized_pnl_micros    bigint           NOT NULL,
    decayed_win_rate       double precision NOT NULL,
    decayed_volume         double precision NOT NULL,
    bayesian_win_rate      double precision NOT NULL,
    win_rate_low           double precision NOT NULL,
    win_rate_high          double precision NOT NULL,
    base_rate              double precision NOT NULL,
    sharpe_30              double precision NOT NULL,
    sharpe_90              double precision NOT NULL,
    sharpe_all             double precision NOT NULL,
    information_ratio      double precision NOT NULL,
    calmar                 double precision NOT NULL,
    max_drawdown           double precision NOT NULL,
    current_drawdown       double precision NOT NULL,
    consistency            double precision NOT NULL,
    hhi                    double precision NOT NULL,
    capital_at_risk        double precision NOT NULL,
    mean_trade_return      double precision NOT NULL,
    trade_return_t         double precision NOT NULL,
    trade_count_penalty    boolean          NOT NULL,
    concentration_penalty  boolean          NOT NULL
);
CREATE INDEX wallet_scores_rank ON wallet_scores (wqs DESC, wallet);

CREATE TABLE wallet_score_days (
    day date NOT NULL,
    LIKE wallet_scores,
    PRIMARY KEY (wallet, day)
);
CREATE INDEX wallet_score_days_day ON wallet_score_days (day, wqs DESC);
