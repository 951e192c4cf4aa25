-- Identity: accounts and refresh-token families (src/auth/).
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,  -- normalized: trimmed and lower-cased
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL, -- argon2id, encoded with its salt and parameters
  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Refresh tokens are stored as SHA-256 hashes. Each refresh spends its token and issues the next one in the same
-- family; presenting a spent token revokes the whole family (the token was stolen and used by two parties).
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at BIGINT NOT NULL,  -- Unix seconds
  used_at BIGINT,
  revoked_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
