-- Facts about this database itself: which Keel created it and when. `keel migrate` and /ready read nothing from
-- it yet; it exists so the first migration proves the runner end to end before feature tables arrive.
CREATE TABLE keel_instance (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO keel_instance (id) VALUES (1);
