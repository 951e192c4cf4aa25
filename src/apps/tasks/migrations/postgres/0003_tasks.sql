-- The Task API (src/apps/tasks/). Every list query is an index range scan on one of the (user_id, sort key, id)
-- indexes; a unit test checks their query plans (on SQLite).
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'done')),
  priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high')),
  priority_rank BIGINT NOT NULL CHECK (priority_rank BETWEEN 1 AND 3),  -- low 1, medium 2, high 3: sort order
  due_at TEXT,                                -- RFC 3339 UTC with milliseconds, or NULL
  version BIGINT NOT NULL DEFAULT 1,          -- bumped on every change; the ETag
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id);
-- NULLS FIRST: SQLite's order (NULL sorts lowest), which the list query asks for with ASC NULLS FIRST /
-- DESC NULLS LAST; PostgreSQL's default would put NULL due dates at the other end and need a sort step.
CREATE INDEX tasks_user_due ON tasks (user_id, due_at NULLS FIRST, id);
CREATE INDEX tasks_user_priority ON tasks (user_id, priority_rank, id);
