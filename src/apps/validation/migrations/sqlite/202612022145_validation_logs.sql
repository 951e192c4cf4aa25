-- Ingested events (POST /api/v1/logs) and the per-minute rollups the dashboard reads. Times are Unix
-- milliseconds. log_entries holds what an app's mode stores (every event in flag mode, the valid ones in block
-- mode); failed_events holds the events kept aside, with their reasons.
CREATE TABLE log_entries (
  id INTEGER PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES validation_apps (id) ON DELETE CASCADE,
  event_name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,           -- when it arrived
  event_ms INTEGER NOT NULL,             -- when the sender says it happened (created_ms when it did not say)
  user_id TEXT,
  properties TEXT NOT NULL,              -- the event's properties object, as JSON
  valid INTEGER NOT NULL CHECK (valid IN (0, 1)),
  violations TEXT,                       -- a JSON array of {path, rule, message}; NULL when valid
  rules_version INTEGER                  -- the rules it was checked against; NULL before the app had any
);
-- The seed's log_entries(app_id, created_at) and log_entries(event_name), led by the app: every read is one
-- app's, newest first (the rowid breaks ties, and SQLite keeps it in every index).
CREATE INDEX log_entries_app_created ON log_entries (app_id, created_ms);
CREATE INDEX log_entries_app_event ON log_entries (app_id, event_name, created_ms);

CREATE TABLE failed_events (
  id INTEGER PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES validation_apps (id) ON DELETE CASCADE,
  event_name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  event_ms INTEGER NOT NULL,
  user_id TEXT,
  properties TEXT NOT NULL,
  violations TEXT NOT NULL,              -- why it was kept aside
  rules_version INTEGER
);
CREATE INDEX failed_events_app_created ON failed_events (app_id, created_ms);

-- Counts per app, minute and event name, added to by every instance's flush. No foreign key: a flush may
-- land just after its app was deleted (the app's delete removes its rows; such a late second's counts stay,
-- never read), and a foreign key would fail the whole flush for it.
CREATE TABLE validation_rollups (
  app_id TEXT NOT NULL,
  minute_ms INTEGER NOT NULL,
  event_name TEXT NOT NULL,
  events INTEGER NOT NULL,
  invalid INTEGER NOT NULL,
  blocked INTEGER NOT NULL,
  PRIMARY KEY (app_id, minute_ms, event_name)
);

CREATE TABLE validation_violation_rollups (
  app_id TEXT NOT NULL,
  minute_ms INTEGER NOT NULL,
  event_name TEXT NOT NULL,
  path TEXT NOT NULL,
  rule TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (app_id, minute_ms, event_name, path, rule)
);
