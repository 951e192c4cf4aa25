-- The prediction log (src/ml/prediction_log.hpp): one row per served prediction, written in batches.
-- Times are Unix milliseconds (UTC).
CREATE TABLE prediction_logs (
  id INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  features TEXT NOT NULL,           -- JSON object, feature name -> value
  prediction REAL NOT NULL,
  latency_us INTEGER NOT NULL,      -- from the request's arrival to its answer
  cached INTEGER NOT NULL CHECK (cached IN (0, 1))
);
-- One index serves both the windowed stats (created_at >= ?, then the model) and the retention prune; a
-- second one would cost every batch insert more than it saves.
CREATE INDEX prediction_logs_created_at ON prediction_logs (created_at);
