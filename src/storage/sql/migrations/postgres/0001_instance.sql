-- Facts about this database itself: which Keel created it and when. `keel migrate` and /ready read nothing from
-- it yet; it exists so the first migration proves the runner end to end before feature tables arrive.
CREATE TABLE keel_instance (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  created_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
);
INSERT INTO keel_instance (id) VALUES (1);
