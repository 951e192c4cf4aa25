-- Version 8 is PostgreSQL's job wake-up trigger (migrations/postgres/0008): an embedded database has one
-- process, whose enqueues wake its own workers directly. Nothing to change here; the version keeps both
-- dialects at the same number.
SELECT 1;
