-- Image2Model: batches of uploaded images and each file's generation, its progress and its results (blobs in
-- the blob store, counted in blob_refs), and each user's uploads per day for the daily quota.
CREATE TABLE i2m_batches (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  status TEXT NOT NULL,  -- queued, processing, completed, partial, failed, cancelled
  format TEXT NOT NULL,  -- glb, stl, obj: the model the status links to
  generator TEXT NOT NULL,  -- local, remote
  quality TEXT NOT NULL,
  priority BIGINT NOT NULL,
  webhook_url TEXT,
  file_count BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  finished_ms BIGINT
);
CREATE INDEX i2m_batches_owner ON i2m_batches (owner_id, created_ms DESC, id);

CREATE TABLE i2m_files (
  id TEXT PRIMARY KEY,
  batch_id TEXT NOT NULL REFERENCES i2m_batches(id) ON DELETE CASCADE,
  position BIGINT NOT NULL,
  filename TEXT NOT NULL,
  media_type TEXT NOT NULL,
  width BIGINT NOT NULL,
  height BIGINT NOT NULL,
  input_sha256 TEXT NOT NULL,
  input_size BIGINT NOT NULL,
  status TEXT NOT NULL,  -- queued, processing, completed, failed, cancelled
  stage TEXT NOT NULL,   -- queued, preprocessing, generating, packaging, done, failed, cancelled
  progress BIGINT NOT NULL,
  error TEXT,
  attempts BIGINT NOT NULL DEFAULT 0,
  glb_sha256 TEXT,
  stl_sha256 TEXT,
  obj_sha256 TEXT,
  thumbnail_sha256 TEXT,
  triangles BIGINT,
  remote_request_id TEXT,  -- the remote generator's request, kept so another attempt polls it, not resubmits
  expires_ms BIGINT,  -- when the results stop being served
  updated_ms BIGINT NOT NULL
);
CREATE INDEX i2m_files_batch ON i2m_files (batch_id, position);
CREATE INDEX i2m_files_expiry ON i2m_files (expires_ms) WHERE expires_ms IS NOT NULL;

CREATE TABLE i2m_usage (
  owner_id TEXT NOT NULL,
  day TEXT NOT NULL,  -- YYYY-MM-DD, UTC
  bytes BIGINT NOT NULL,
  files BIGINT NOT NULL,
  PRIMARY KEY (owner_id, day)
);

-- Each user's webhook signing secret (HMAC-SHA256 over the delivery), made on first use.
CREATE TABLE i2m_webhook_secrets (
  owner_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);

-- Resumable uploads (tus 1.0.0 at /api/v1/uploads): the bytes gather in a part file on the blob volume; a
-- finished upload becomes a blob (counted here until the upload expires or is terminated) that a batch names.
CREATE TABLE i2m_uploads (
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  upload_length BIGINT NOT NULL,
  upload_offset BIGINT NOT NULL,
  filename TEXT NOT NULL,
  lock_token TEXT,  -- the PATCH writing to it, until lock_until_ms
  lock_until_ms BIGINT,
  sha256 TEXT,      -- set when complete
  media_type TEXT,
  width BIGINT,
  height BIGINT,
  error TEXT,       -- why the finished bytes are not an image a batch can use
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE INDEX i2m_uploads_expiry ON i2m_uploads (expires_ms);
