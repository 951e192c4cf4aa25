"""End-to-end: the Live Validation Dashboard's background work (seed 002): exports written by a durable job and
downloaded (equal to what was ingested), the daily report mailed to each app's owner, and retention pruning.
Runs in both modes (in the scaled one the export's job may run on either instance and the download is served
by whichever nginx picks)."""
import csv
import io
import json
import os
import sqlite3
import time
import unittest

from keel import CLUSTER_DIR, Keel, cluster_settings, wait_for, with_database

PASSWORD = "correct horse battery"
CONFIG = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
          "jobs.poll_interval_ms": 100, "apps.retention_days": 30}
RULES = {"events": {"signup": {"type": "object", "required": ["plan"],
                               "properties": {"plan": {"enum": ["free", "pro"]}}}}, "unplanned": "flag"}
DAY_MS = 86_400_000


class ValidationJobsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(CONFIG).__enter__()
        cls.keel.create_user("root@example.com", PASSWORD, admin=True)
        cls.admin = cls.keel.login("root@example.com", PASSWORD)
        cls.alice = cls.keel.sign_up("alice@example.com", PASSWORD, "Alice")
        cls.bob = cls.keel.sign_up("bob@example.com", PASSWORD, "Bob")

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def execute(self, query, params=()):
        """A write straight to the database, as an operator would, to age rows (`?` placeholders)."""
        if CLUSTER_DIR:
            import psycopg2
            db = psycopg2.connect(with_database(cluster_settings()["KEEL_DATABASE_DIRECT_URL"], self.keel.db_path))
            try:
                db.cursor().execute(query.replace("?", "%s"), params)
                db.commit()
            finally:
                db.close()
            return
        db = sqlite3.connect(self.keel.db_path, timeout=10)
        try:
            db.execute(query, params)
            db.commit()
        finally:
            db.close()

    def new_app(self, name="Shop"):
        status, app = self.keel.call("POST", "/api/v1/apps", self.alice, {"name": name, "mode": "flag"})
        self.assertEqual(status, 201, app)
        self.assertEqual(self.keel.call("PUT", f"/api/v1/apps/{app['id']}/rules", self.alice, RULES)[0], 201)
        return app

    def ingest(self, app, events):
        status, _, body = self.keel.request("POST", "/api/v1/logs", body=json.dumps({"events": events}),
                                            headers={"Content-Type": "application/json",
                                                     "Authorization": f"Bearer {app['ingest_key']}"})
        self.assertEqual(status, 200, body)

    def finished_job(self, job_id):
        def done():
            status, job = self.keel.call("GET", f"/api/v1/jobs/{job_id}", self.admin)
            return job if status == 200 and job["state"] in ("completed", "discarded", "cancelled") else None
        return wait_for(done, timeout=30, interval=0.1, what=f"job {job_id}")

    def export(self, app, payload):
        status, started = self.keel.call("POST", f"/api/v1/apps/{app['id']}/exports", self.alice, payload)
        self.assertEqual(status, 202, started)
        self.assertEqual(started["state"], "running")
        job = self.finished_job(started["job_id"])
        self.assertEqual((job["state"], job["progress"]["percent"]), ("completed", 100), job)
        status, ready = self.keel.call("GET", f"/api/v1/exports/{started['id']}", self.alice)
        self.assertEqual((status, ready["state"]), (200, "ready"), ready)
        status, headers, body = self.keel.request("GET", ready["download"], headers=self.alice)
        self.assertEqual(status, 200)
        self.assertIn(started["id"], headers["content-disposition"])
        self.assertEqual(len(body), ready["bytes"])
        return ready, headers, body.decode()

    def test_an_export_downloads_exactly_what_was_ingested(self):
        app = self.new_app()
        # Enough events for several chunks of the file (about 256 KiB each) and several pages of the job's reads.
        sent = [{"event": "signup", "user_id": f"u{n}", "properties": {"plan": "pro" if n % 3 else "gold", "n": n,
                                                                      "note": "x" * 200}}
                for n in range(3000)]
        for start in range(0, len(sent), 1000):
            self.ingest(app, sent[start:start + 1000])
        ready, headers, text = self.export(app, {"format": "ndjson"})
        self.assertEqual(headers["content-type"], "application/x-ndjson")
        lines = [json.loads(line) for line in text.splitlines()]
        self.assertEqual(ready["events"], 3000)
        self.assertGreater(ready["bytes"], 2 * 256 * 1024)
        self.assertEqual([line["properties"] for line in lines], [e["properties"] for e in sent])  # oldest first
        self.assertEqual([line["user_id"] for line in lines], [e["user_id"] for e in sent])
        self.assertEqual(sum(1 for line in lines if not line["valid"]), 1000)
        self.assertEqual(lines[0]["violations"], [{"path": "/properties/plan", "rule": "enum",
                                                   "message": lines[0]["violations"][0]["message"]}])
        # CSV of the same events: a header, then a line each, quoting what needs it.
        ready, headers, text = self.export(app, {"format": "csv"})
        self.assertTrue(headers["content-type"].startswith("text/csv"))
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(len(rows), 3000)
        self.assertEqual([json.loads(r["properties"]) for r in rows], [e["properties"] for e in sent])
        self.assertEqual({r["valid"] for r in rows}, {"true", "false"})
        # A window that holds nothing is an empty file (CSV: the header).
        ready, _, text = self.export(app, {"format": "csv", "since": "2999-01-01T00:00:00Z",
                                           "until": "2999-01-02T00:00:00Z"})
        self.assertEqual((ready["events"], text.count("\n")), (0, 1))

    def test_exports_refuse_bad_input_and_other_users(self):
        app = self.new_app()
        base = f"/api/v1/apps/{app['id']}/exports"
        status, problem = self.keel.call("POST", base, self.alice, {"format": "xml", "since": "then", "x": 1})
        self.assertEqual(status, 422)
        self.assertEqual(sorted(e["field"] for e in problem["errors"]), ["format", "since", "x"])
        status, problem = self.keel.call("POST", base, self.alice, {"format": "csv", "since": "2026-12-02T10:00:00Z",
                                                                    "until": "2026-12-01T10:00:00Z"})
        self.assertEqual((status, problem["errors"][0]["field"]), (422, "until"))
        self.assertEqual(self.keel.call("POST", base, self.bob, {"format": "csv"})[0], 404)
        status, started = self.keel.call("POST", base, self.alice, {"format": "csv"})
        self.assertEqual(status, 202)
        self.assertEqual(self.keel.call("GET", f"/api/v1/exports/{started['id']}", self.bob)[0], 404)
        self.assertEqual(self.keel.request("GET", f"/api/v1/exports/{started['id']}/download", headers=self.bob)[0],
                         404)
        self.assertEqual(self.keel.call("GET", "/api/v1/exports/nope", self.alice)[0], 404)

    def test_the_daily_report_mails_each_owner_once_a_day(self):
        app = self.new_app("Reported")
        self.ingest(app, [{"event": "signup", "properties": {"plan": "gold"}}, {"event": "signup",
                                                                               "properties": {"plan": "free"}}])
        wait_for(lambda: self.keel.call("GET", f"/api/v1/apps/{app['id']}/dashboard", self.alice)[1]["totals"]
                 ["events"] == 2, timeout=10, what="the rollups")
        for _ in range(2):  # twice: one mail
            status, job = self.keel.call("POST", "/api/v1/debug/jobs", payload={"kind": "validation.daily_report"})
            self.assertIn(status, (200, 201), job)
            self.assertEqual(self.finished_job(job["id"])["state"], "completed")

        def mails():
            status, page = self.keel.call("GET", "/api/v1/admin/outbox?to=alice@example.com", self.admin)
            found = [m for m in page["items"] if "Daily report for Reported" in m["subject"]]
            return found or None
        found = wait_for(mails, timeout=20, what="the report mail")
        self.assertEqual(len(found), 1)
        self.assertIn("2 events, 1 invalid", found[0]["subject"])

    def test_pruning_removes_what_is_older_than_the_retention(self):
        app = self.new_app("Old")
        self.ingest(app, [{"event": "signup", "properties": {"plan": "free", "n": n}} for n in range(10)])
        wait_for(lambda: self.keel.call("GET", f"/api/v1/apps/{app['id']}/dashboard", self.alice)[1]["totals"]
                 ["events"] == 10, timeout=10, what="the rollups")
        # Six of them, and their rollups, are made older than the 30 days kept.
        old = int(time.time() * 1000) - 31 * DAY_MS
        self.execute("UPDATE log_entries SET created_ms = ? WHERE app_id = ? AND id IN "
                     "(SELECT id FROM log_entries WHERE app_id = ? ORDER BY id LIMIT 6)", (old, app["id"], app["id"]))
        self.execute("UPDATE validation_rollups SET minute_ms = ? WHERE app_id = ?", (old, app["id"]))
        status, job = self.keel.call("POST", "/api/v1/debug/jobs", payload={"kind": "validation.prune"})
        self.assertIn(status, (200, 201), job)
        done = self.finished_job(job["id"])
        self.assertEqual(done["state"], "completed", done)
        left = self.keel.call("GET", f"/api/v1/apps/{app['id']}/logs", self.alice)[1]["items"]
        self.assertEqual(sorted(i["properties"]["n"] for i in left), [6, 7, 8, 9])
        self.assertEqual(self.keel.sql("SELECT COUNT(*) FROM validation_rollups WHERE app_id = ?", (app["id"],)),
                         [(0,)])


if __name__ == "__main__":
    unittest.main()
