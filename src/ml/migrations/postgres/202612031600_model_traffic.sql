-- Traffic plans (src/ml/traffic_router.hpp): per model, the versions that answer and their weights, the sticky
-- header and the shadow versions. Rows are never deleted: clearing a plan stores NULL with the next revision,
-- so an instance that applied revision n knows that anything above it is newer.
CREATE TABLE model_traffic (
  model TEXT PRIMARY KEY,
  plan TEXT,                    -- JSON (TrafficPlan::ToJson); NULL: no plan, the newest valid version serves
  revision BIGINT NOT NULL,     -- 1 at the first plan, +1 at every change
  updated_at BIGINT NOT NULL    -- Unix ms
);
-- A shadow version's answers (1) are logged beside the served ones (0) and never returned to the client. No
-- CHECK: validating one would read every row of a large log while the table is locked; with a constant
-- default the column is added without touching them.
ALTER TABLE prediction_logs ADD COLUMN shadow BIGINT NOT NULL DEFAULT 0;
