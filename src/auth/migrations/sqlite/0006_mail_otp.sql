-- Mail and one-time codes (src/auth/mail/, src/auth/otp_service.cpp).

-- Every message the mail job handled. transport 'outbox': no SMTP server is configured and this row is the
-- delivery (readable at GET /api/v1/admin/outbox); 'smtp': sent, body not kept. job_id is unique, so a retried
-- mail job never records a message twice.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  job_id INTEGER UNIQUE,
  to_address TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT,
  transport TEXT NOT NULL CHECK (transport IN ('outbox', 'smtp')),
  created_at INTEGER NOT NULL  -- Unix ms
);

-- At most one live code per account and purpose; stored as a keyed hash, never in clear.
CREATE TABLE otp_codes (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
  code_hash TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,  -- wrong codes tried
  expires_at INTEGER NOT NULL,          -- Unix ms
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, purpose)
);
CREATE INDEX otp_codes_expiry ON otp_codes (expires_at);

-- Accounts created before verification existed, and those operators create, count as verified.
ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 1 CHECK (email_verified IN (0, 1));
