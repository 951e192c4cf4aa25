-- API keys for service clients (Image2Model's and the dashboard's). Stored as SHA-256 hashes; the prefix is the
-- visible part that lets a user tell keys apart.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  created_at TEXT NOT NULL,
  last_used_at TEXT,                  -- refreshed at most once a minute per key
  revoked_at TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);
CREATE INDEX users_created ON users (created_at, id);
