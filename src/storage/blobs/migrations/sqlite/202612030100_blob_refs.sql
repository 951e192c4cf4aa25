-- How many rows refer to each stored blob (storage/blobs), so the sweep removes only files nothing wants.
-- A reference is added in the same transaction as the row that holds it, and released in the one that drops
-- it. released_ms: when refs last fell to zero (the sweep waits a grace period after it).
CREATE TABLE blob_refs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL,
  released_ms INTEGER
);
CREATE INDEX blob_refs_released ON blob_refs (released_ms) WHERE refs <= 0;
