"""End-to-end: a database written by an earlier Keel (tests/fixtures/upgrade/, made by make_fixtures.py) is
upgraded by `keel migrate` and served with nothing lost: accounts log in with their passwords, tasks, API keys,
jobs, mail and the migration record are all there. Embedded mode reads the SQLite dump, scaled mode the
PostgreSQL one."""
import os
import sqlite3
import subprocess
import tempfile
import unittest

from keel import BINARY, CLUSTER_DIR, DATABASES, Keel, cluster_settings, with_database

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../fixtures/upgrade")
PASSWORD = "correct horse battery"
# Every schema a released Keel wrote; each must upgrade to this binary's.
SCHEMAS = ["schema-0008", "schema-202612021900", "schema-202612022200"]
# The validation module's daily report (06:00 UTC) mails the fixture's owner about the day the fixture's
# events were ingested when that tick has come due since: mail the upgrade may add, not mail it lost.
REPORT = "Daily report for "
COUNTS = {"users": ("SELECT COUNT(*) FROM users", ()), "tasks": ("SELECT COUNT(*) FROM tasks", ()),
          "api_keys": ("SELECT COUNT(*) FROM api_keys", ()), "jobs": ("SELECT COUNT(*) FROM jobs", ()),
          "outbox": ("SELECT COUNT(*) FROM outbox WHERE subject NOT LIKE ?", (REPORT + "%",)),
          "schema_migrations": ("SELECT COUNT(*) FROM schema_migrations", ())}


def load_fixture(schema):
    """A database holding the fixture; returns the db_path a Keel shares."""
    if CLUSTER_DIR:
        name = DATABASES.create()
        url = with_database(cluster_settings()["KEEL_DATABASE_DIRECT_URL"], name)
        subprocess.run(["psql", "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", url, "--file",
                        os.path.join(FIXTURES, f"{schema}.postgres.sql")], check=True, capture_output=True)
        return name
    path = os.path.join(tempfile.mkdtemp(prefix="keel-e2e-upgrade-"), "keel.db")
    with open(os.path.join(FIXTURES, f"{schema}.sqlite.sql")) as f:
        db = sqlite3.connect(path)
        db.executescript(f.read())
        db.close()
    return path


class UpgradeTest(unittest.TestCase):
    def test_every_earlier_schema_upgrades_with_nothing_lost(self):
        for schema in SCHEMAS:
            with self.subTest(schema=schema):
                self.check_upgrade(schema)

    def check_upgrade(self, schema):
        keel = Keel(db_path=load_fixture(schema))
        before = {table: keel.sql(*query)[0][0] for table, query in COUNTS.items()}
        known = {row[0] for row in keel.sql("SELECT name FROM schema_migrations")}  # what the fixture had
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        migrated = subprocess.run([BINARY, "migrate", "--config", keel.config_path], capture_output=True, text=True,
                                  env=env, cwd=keel.dir, timeout=120)
        self.assertEqual(migrated.returncode, 0, migrated.stderr + migrated.stdout)
        applied = [line.split()[1] for line in migrated.stdout.splitlines() if line.startswith("applied ")]
        self.assertFalse(known & {label.split("_", 1)[1] for label in applied}, "nothing is applied twice")
        with keel:
            after = {table: keel.sql(*query)[0][0] for table, query in COUNTS.items()}
            self.assertEqual(after["schema_migrations"], before["schema_migrations"] + len(applied))
            after.pop("schema_migrations")
            before.pop("schema_migrations")
            # The scheduler may fire a maintenance job whose tick came due since the fixture was made.
            self.assertGreaterEqual(after.pop("jobs"), before.pop("jobs"))
            self.assertEqual(after, before)
            ada = keel.login("ada@example.com", PASSWORD)
            status, page = keel.call("GET", "/api/v1/tasks?sort=created_at&order=asc", ada)
            self.assertEqual(status, 200, page)
            self.assertEqual([t["title"] for t in page["items"]],
                             ["Write the notes", "Read Menabrea", "Finished already"])
            self.assertEqual(page["items"][0]["due_at"], "2031-01-01T09:00:00.000Z")
            status, keys = keel.call("GET", "/api/v1/auth/api-keys", ada)
            self.assertEqual([k["name"] for k in keys["items"]], ["analysis engine"])
            admin = keel.login("admin@example.com", PASSWORD)
            status, outbox = keel.call("GET", "/api/v1/admin/outbox?to=ada@example.com", admin)
            self.assertEqual(status, 200, outbox)
            self.assertEqual(len([m for m in outbox["items"] if not m["subject"].startswith(REPORT)]), 1)
            status, jobs = keel.call("GET", "/api/v1/admin/jobs?kind=tasks.reminder", admin)
            self.assertEqual(jobs["total"], 1)
            if schema != "schema-0008":  # written with the validation module's tables
                status, apps = keel.call("GET", "/api/v1/apps", ada)
                self.assertEqual([(a["name"], a["mode"], a["rules_version"]) for a in apps["items"]],
                                 [("Analytical Engine", "block", 2)])
                status, rules = keel.call("GET", f"/api/v1/apps/{apps['items'][0]['id']}/rules", ada)
                self.assertEqual((status, rules["unplanned"], sorted(rules["events"])), (200, "flag", ["purchase", "signup"]))
            if schema not in ("schema-0008", "schema-202612021900"):  # with ingested events and an export
                app_id = apps["items"][0]["id"]
                logs = keel.call("GET", f"/api/v1/apps/{app_id}/logs", ada)[1]["items"]
                self.assertEqual(sorted(i["event"] for i in logs), ["newsletter_open", "purchase", "signup"])
                failed = keel.call("GET", f"/api/v1/apps/{app_id}/failed", ada)[1]["items"]
                self.assertEqual([(i["event"], i["violations"][0]["rule"]) for i in failed], [("signup", "required")])
                board = keel.call("GET", f"/api/v1/apps/{app_id}/dashboard?window=7d", ada)[1]
                self.assertEqual(board["totals"]["blocked"], 1)
                exports = keel.sql("SELECT id, bytes FROM validation_exports")
                self.assertEqual(len(exports), 1)
                status, _, body = keel.request("GET", f"/api/v1/exports/{exports[0][0]}/download", headers=ada)
                self.assertEqual((status, len(body)), (200, exports[0][1]))
            # And the upgraded database takes writes like a new one.
            status, task = keel.call("POST", "/api/v1/tasks", ada, {"title": "After the upgrade"})
            self.assertEqual(status, 201, task)


if __name__ == "__main__":
    unittest.main()
