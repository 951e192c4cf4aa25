-- Exports of an app's logs (POST /api/v1/apps/{id}/exports): the export, written by a durable job, and its file
-- in chunks of about 256 KiB, so any instance can stream the download whichever worker wrote it.
CREATE TABLE validation_exports (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES validation_apps (id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('csv', 'ndjson')),
  since_ms INTEGER,                         -- events that arrived at or after (NULL: from the first)
  until_ms INTEGER NOT NULL,                -- and before
  state TEXT NOT NULL CHECK (state IN ('running', 'ready', 'failed')),
  job_id INTEGER,
  events INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX validation_exports_app ON validation_exports (app_id);
CREATE INDEX validation_exports_created ON validation_exports (created_at);

CREATE TABLE validation_export_chunks (
  export_id TEXT NOT NULL REFERENCES validation_exports (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (export_id, seq)
);

-- The daily reports sent, one per app and UTC day, so a report job that runs twice mails once.
CREATE TABLE validation_reports (
  app_id TEXT NOT NULL REFERENCES validation_apps (id) ON DELETE CASCADE,
  day TEXT NOT NULL,                     -- YYYY-MM-DD (UTC)
  PRIMARY KEY (app_id, day)
);
