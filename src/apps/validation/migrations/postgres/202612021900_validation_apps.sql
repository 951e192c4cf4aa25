-- The Live Validation Dashboard's apps (src/apps/validation/): an app belongs to one user, has ingest keys
-- (stored as SHA-256; a rotated key keeps working until expires_at) and numbered versions of its rules.
CREATE TABLE validation_apps (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('flag', 'block')),
  rules_version BIGINT,                  -- the current version of validation_rules, NULL before the first
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX validation_apps_owner ON validation_apps (owner_id, created_at, id);

CREATE TABLE validation_ingest_keys (
  key_hash TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES validation_apps (id) ON DELETE CASCADE,
  prefix TEXT NOT NULL,                  -- the key's first characters, to tell keys apart
  created_at TEXT NOT NULL,
  expires_at TEXT                        -- NULL for the current key; set when a newer one replaces it
);
CREATE INDEX validation_ingest_keys_app ON validation_ingest_keys (app_id);

-- The seed's validation_rules(app_id) index is this primary key's prefix.
CREATE TABLE validation_rules (
  app_id TEXT NOT NULL REFERENCES validation_apps (id) ON DELETE CASCADE,
  version BIGINT NOT NULL,
  body TEXT NOT NULL,                    -- the PUT body as stored: {"events": {...}, "unplanned": ...}
  created_at TEXT NOT NULL,
  PRIMARY KEY (app_id, version)
);
