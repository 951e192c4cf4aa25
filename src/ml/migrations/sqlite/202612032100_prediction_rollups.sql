-- Per-minute, per-hour and per-day rollups of the prediction log (src/ml/prediction_rollups.hpp), written in the
-- transaction that inserts the rows they count. The windowed stats (/api/v1/property/stats, /compare) read
-- these instead of the rows. Rows logged before this migration are not counted.
CREATE TABLE prediction_rollups (
  model TEXT NOT NULL,
  period_ms INTEGER NOT NULL,         -- 60000: a minute; 3600000: an hour; 86400000: a day (UTC)
  start_ms INTEGER NOT NULL,          -- Unix ms, a multiple of period_ms
  version TEXT NOT NULL,
  shadow INTEGER NOT NULL,            -- 1: a shadow version's answers (never returned to clients)
  count INTEGER NOT NULL,
  cached INTEGER NOT NULL,            -- answers from the prediction cache
  prediction_sum REAL NOT NULL,
  latency_sketch TEXT NOT NULL,       -- QuantileSketch::Encode of latency_us (src/ml/quantile_sketch.hpp)
  prediction_sketch TEXT NOT NULL,    -- QuantileSketch::Encode of the predictions
  PRIMARY KEY (model, period_ms, start_ms, version, shadow)
) WITHOUT ROWID;
