"""End-to-end: the durable job queue with real keel processes sharing one SQLite database — retries, job and
admin routes, the event stream, unique keys, kill -9 and SIGSTOP of a worker (lease expiry and fencing), one
periodic fire per tick across two schedulers, and SIGTERM releasing leases."""
import http.client
import json
import os
import re
import signal
import time
import unittest

from keel import CLUSTER_DIR, Keel, free_port, wait_for

FAST = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False}
# Short leases so a dead worker's job comes back within seconds.
LEASES = {"jobs.lease_ms": 1500, "jobs.heartbeat_ms": 200, "jobs.rescue_interval_ms": 200, "jobs.poll_interval_ms": 50}
PASSWORD = "correct horse battery"


def job_row(keel, job_id):
    rows = keel.sql("SELECT state, attempt, errors, result, lease_owner FROM jobs WHERE id = ?", (job_id,))
    state, attempt, errors, result, owner = rows[0]
    return {"state": state, "attempt": attempt, "errors": json.loads(errors),
            "result": json.loads(result) if result else None, "owner": owner}


def marker_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.split() for line in f.read().splitlines()]


def enqueue(keel, kind, args=None, **extra):
    status, body = keel.call("POST", "/api/v1/debug/jobs", payload={"kind": kind, "args": args or {}, **extra})
    assert status in (200, 201), body
    return body


class JobApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel({**FAST, **LEASES})
        cls.keel.start()
        cls.keel.create_user("root@example.com", PASSWORD, admin=True)
        cls.keel.create_user("user@example.com", PASSWORD)
        cls.admin = cls.keel.login("root@example.com", PASSWORD)
        cls.user = cls.keel.login("user@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def job(self, job_id, who=None):
        status, body = self.keel.call("GET", f"/api/v1/jobs/{job_id}", who or self.admin)
        self.assertEqual(status, 200, body)
        return body

    def test_a_job_failing_twice_then_succeeding_completes_with_two_errors(self):
        job_id = enqueue(self.keel, "debug.flaky", {"failures": 2})["id"]
        job = wait_for(lambda: (j := self.job(job_id))["state"] == "completed" and j, what="completion")
        self.assertEqual(job["attempt"], 3)
        self.assertEqual([e["error"] for e in job["errors"]],
                         ["deliberate failure on attempt 1", "deliberate failure on attempt 2"])
        self.assertEqual(job["result"], {"attempt": 3})
        self.assertEqual(job["progress"]["percent"], 100)
        self.assertTrue(job["finished_at"].endswith("Z"))

    def test_out_of_attempts_is_discarded_and_kept_with_its_errors(self):
        job_id = enqueue(self.keel, "debug.flaky", {"failures": 5}, max_attempts=2)["id"]
        job = wait_for(lambda: (j := self.job(job_id))["state"] == "discarded" and j, what="discard")
        self.assertEqual(len(job["errors"]), 2)
        status, retried = self.keel.call("POST", f"/api/v1/admin/jobs/{job_id}/retry", self.admin)
        self.assertEqual(status, 200, retried)
        self.assertEqual(retried["max_attempts"], 3)
        job = wait_for(lambda: (j := self.job(job_id))["state"] == "discarded" and j["attempt"] == 3 and j,
                       what="third attempt")
        self.assertEqual(len(job["errors"]), 3)

    def test_only_the_owner_or_an_admin_reads_a_job(self):
        job_id = enqueue(self.keel, "debug.noop")["id"]
        status, _ = self.keel.call("GET", f"/api/v1/jobs/{job_id}")
        self.assertEqual(status, 401)
        status, problem = self.keel.call("GET", f"/api/v1/jobs/{job_id}", self.user)
        self.assertEqual(status, 404, problem)
        status, _ = self.keel.call("GET", "/api/v1/jobs/999999", self.admin)
        self.assertEqual(status, 404)
        status, _ = self.keel.call("GET", "/api/v1/jobs/abc", self.admin)
        self.assertEqual(status, 404)
        status, _ = self.keel.call("GET", "/api/v1/admin/jobs", self.user)
        self.assertEqual(status, 403)

    def test_event_stream_reports_progress_until_the_job_ends(self):
        job_id = enqueue(self.keel, "debug.sleep", {"ms": 1000})["id"]
        conn = http.client.HTTPConnection("127.0.0.1", self.keel.port, timeout=20)
        conn.request("GET", f"/api/v1/jobs/{job_id}/events", headers=self.admin)
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/event-stream")
        events = []
        for block in response.read().decode().split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if "event" in lines:
                events.append((lines["event"], json.loads(lines["data"])))
        conn.close()
        self.assertEqual(events[-1][0], "end")
        self.assertEqual(events[-1][1]["state"], "completed")
        percents = [data["progress"]["percent"] for name, data in events if name == "update"]
        self.assertTrue(any(0 < p < 100 for p in percents), percents)
        self.assertEqual(percents, sorted(percents))

    def test_admin_lists_cancels_and_retries_jobs_and_sees_queues(self):
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        job_id = enqueue(self.keel, "debug.noop", run_at=later, queue="default")["id"]
        status, page = self.keel.call("GET", "/api/v1/admin/jobs?state=scheduled&kind=debug.noop", self.admin)
        self.assertEqual(status, 200, page)
        self.assertIn(job_id, [j["id"] for j in page["items"]])
        status, problem = self.keel.call("GET", "/api/v1/admin/jobs?state=bogus", self.admin)
        self.assertEqual(status, 422)
        self.assertEqual(problem["errors"][0]["field"], "state")

        status, queues = self.keel.call("GET", "/api/v1/admin/queues", self.admin)
        self.assertEqual(status, 200, queues)
        default = next(q for q in queues["queues"] if q["name"] == "default")
        self.assertGreaterEqual(default["depth"]["scheduled"], 1)
        self.assertEqual(default["workers"]["max"], 4)

        status, cancelled = self.keel.call("POST", f"/api/v1/admin/jobs/{job_id}/cancel", self.admin)
        self.assertEqual((status, cancelled["state"]), (200, "cancelled"))
        status, problem = self.keel.call("POST", f"/api/v1/admin/jobs/{job_id}/cancel", self.admin)
        self.assertEqual(status, 409, problem)
        status, retried = self.keel.call("POST", f"/api/v1/admin/jobs/{job_id}/retry", self.admin)
        self.assertEqual((status, retried["state"]), (200, "available"))
        wait_for(lambda: self.job(job_id)["state"] == "completed", what="retried job to complete")

    def test_cancelling_a_running_job_stops_its_handler(self):
        job_id = enqueue(self.keel, "debug.sleep", {"ms": 20000})["id"]
        wait_for(lambda: self.job(job_id)["state"] == "running", what="start")
        status, _ = self.keel.call("POST", f"/api/v1/admin/jobs/{job_id}/cancel", self.admin)
        self.assertEqual(status, 200)
        wait_for(lambda: "late failure refused" in self.keel.log(), timeout=5, what="the handler to stop")
        self.assertEqual(self.job(job_id)["state"], "cancelled")

    def test_a_unique_key_returns_the_live_job(self):
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        first = enqueue(self.keel, "debug.noop", run_at=later, unique_key="once")
        second = enqueue(self.keel, "debug.noop", run_at=later, unique_key="once")
        self.assertTrue(first["created"])
        self.assertFalse(second["created"])
        self.assertEqual(first["id"], second["id"])

    def test_bad_enqueue_requests_are_422_and_enqueue_nothing(self):
        before = self.keel.sql("SELECT COUNT(*) FROM jobs")[0][0]
        status, problem = self.keel.call("POST", "/api/v1/debug/jobs", payload={"kind": "no.such.kind"})
        self.assertEqual(status, 400, problem)
        status, problem = self.keel.call("POST", "/api/v1/debug/jobs", payload={"kind": "debug.noop", "args": [1]})
        self.assertEqual(status, 422, problem)
        self.assertEqual(self.keel.sql("SELECT COUNT(*) FROM jobs")[0][0], before)


class WorkerProcessTest(unittest.TestCase):
    """An API process with workers off, and separate `keel worker` processes on the same database."""

    def setUp(self):
        self.api = Keel({**FAST, **LEASES, "jobs.workers": False})
        self.api.start()
        self.workers = []

    def tearDown(self):
        for worker in self.workers:
            if worker.process and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGCONT)
            code = worker.stop()
            # Every worker not killed on purpose exits cleanly (sanitizer reports make the code non-zero).
            if code != -signal.SIGKILL:
                self.assertEqual(code, 0, worker.log()[-3000:])
        self.api.__exit__(None, None, None)

    def worker(self, env=None, config=None):
        worker = Keel({**FAST, **LEASES, **(config or {})}, env=env, command=("worker", "--queues", "default"),
                      db_path=self.api.db_path)
        worker.start()
        self.workers.append(worker)
        return worker

    def test_a_job_whose_worker_is_killed_runs_again_after_its_lease_expires_and_completes_once(self):
        marker = os.path.join(self.api.dir, "marker")
        first = self.worker()
        job_id = enqueue(self.api, "debug.sleep", {"ms": 1500, "marker": marker})["id"]
        wait_for(lambda: any(line[0] == "start" for line in marker_lines(marker)), what="first attempt")
        first.process.kill()
        first.process.wait()
        self.worker()
        row = wait_for(lambda: (r := job_row(self.api, job_id))["state"] == "completed" and r, timeout=30,
                       what="completion by the second worker")
        self.assertEqual(row["attempt"], 2)
        self.assertEqual(len(row["errors"]), 1)
        self.assertIn("lease expired", row["errors"][0]["error"])
        lines = marker_lines(marker)
        self.assertEqual([l[0] for l in lines].count("start"), 2, lines)
        self.assertEqual([l for l in lines if l[0] == "done"], [["done", str(job_id), "2"]])

    def test_a_stalled_workers_late_completion_is_refused(self):
        marker = os.path.join(self.api.dir, "marker")
        stalled = self.worker()
        job_id = enqueue(self.api, "debug.sleep", {"ms": 1000, "marker": marker, "ignore_cancel": True})["id"]
        wait_for(lambda: any(line[0] == "start" for line in marker_lines(marker)), what="first attempt")
        # Stopped outside a write: stopped inside one (a heartbeat), it would keep the job's row locked — on SQLite
        # the whole database — and nothing could take the job over. That is a different stall from this test's.
        for _ in range(100):
            stalled.process.send_signal(signal.SIGSTOP)
            if self.api.row_is_free("jobs", job_id):
                break
            stalled.process.send_signal(signal.SIGCONT)
            time.sleep(0.02)
        else:
            self.fail("the worker never let go of the job's row")
        self.worker()
        row = wait_for(lambda: (r := job_row(self.api, job_id))["state"] == "completed" and r, timeout=30,
                       what="completion by the second worker")
        self.assertEqual(row["result"]["attempt"], 2)
        stalled.process.send_signal(signal.SIGCONT)
        wait_for(lambda: "late completion refused" in stalled.log(), timeout=10, what="the refusal")
        row = job_row(self.api, job_id)
        self.assertEqual((row["state"], row["result"]["attempt"]), ("completed", 2))

    def test_two_schedulers_fire_each_tick_once(self):
        ticks = os.path.join(self.api.dir, "ticks")
        env = {"KEEL_TEST_TICK_FILE": ticks}
        self.worker(env)
        self.worker(env)
        lines = wait_for(lambda: len(l := marker_lines(ticks)) >= 4 and l, timeout=30, what="four ticks")
        fired = [line[0] for line in lines]
        self.assertEqual(len(fired), len(set(fired)), lines)
        self.assertEqual(len({line[1] for line in lines}), len(lines), "one job per tick")

    @unittest.skipUnless(CLUSTER_DIR, "PostgreSQL only: SQLite has no notifications between processes")
    def test_a_job_enqueued_elsewhere_starts_at_once_not_at_the_next_poll(self):
        worker = self.worker(config={"jobs.poll_interval_ms": 60000})
        wait_for(lambda: "listening for notifications" in worker.log(), what="the LISTEN")
        time.sleep(2)  # the worker's first claims found nothing; its next poll is a minute away
        job_id = enqueue(self.api, "debug.sleep", {"ms": 1})["id"]
        # Long before the poll: the INSERT's NOTIFY woke the worker's LISTEN (migrations/postgres/0008).
        wait_for(lambda: job_row(self.api, job_id)["state"] == "completed", timeout=10, what="the job")
        (waited_ms,), = self.api.sql("SELECT started_at - created_at FROM jobs WHERE id = ?", (job_id,))
        self.assertLess(waited_ms, 5000)

    def test_the_ops_port_serves_probes_and_the_job_metrics(self):
        port = free_port()
        worker = self.worker(config={"jobs.ops_port": port, "jobs.drain_timeout_ms": 3000})

        def get(path):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                return response.status, response.read().decode()
            except OSError:  # stopped
                return 0, ""
            finally:
                conn.close()

        self.assertEqual(get("/health")[0], 200)
        status, ready = get("/ready")
        self.assertEqual(status, 200, ready)
        self.assertEqual(get("/api/v1/tasks")[0], 404)  # probes and scrapes only
        job_id = enqueue(self.api, "debug.sleep", {"ms": 1})["id"]
        wait_for(lambda: job_row(self.api, job_id)["state"] == "completed", what="the job")
        # Depths and worker counts are sampled every rescue interval: an earlier sample may show the job busy. The
        # completion counter moves just after the row commits, so a scrape may come between the two.
        idle = re.compile(r'(?m)^keel_job_workers\{queue="default",state="busy"\} 0')
        completed = re.compile(r'keel_jobs_completed_total\{kind="debug.sleep",queue="default"\} 1')
        metrics = wait_for(lambda: 'state="available"} 0' in (m := get("/metrics")[1]) and idle.search(m)
                           and completed.search(m) and m, what="a sample taken after the job")
        self.assertRegex(metrics, completed)
        # Draining a running job: not ready any more, still alive and scraped.
        running = enqueue(self.api, "debug.sleep", {"ms": 60000})["id"]
        wait_for(lambda: job_row(self.api, running)["state"] == "running", what="the long job")
        wait_for(lambda: re.search(r'(?m)^keel_job_workers\{queue="default",state="busy"\} 1', get("/metrics")[1]),
                 what="a sample with the long job busy")
        worker.send_signal(signal.SIGTERM)
        wait_for(lambda: get("/ready")[0] == 503, timeout=2.5, what="not ready while draining")
        self.assertEqual(get("/health")[0], 200)
        self.assertEqual(get("/metrics")[0], 200)

    def test_sigterm_releases_the_leases_of_running_jobs(self):
        worker = self.worker(config={"jobs.drain_timeout_ms": 300})
        marker = os.path.join(self.api.dir, "marker")
        job_id = enqueue(self.api, "debug.sleep", {"ms": 60000, "marker": marker})["id"]
        wait_for(lambda: job_row(self.api, job_id)["state"] == "running", what="start")
        started = time.monotonic()
        worker.stop()
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(worker.process.returncode, 0, worker.log()[-3000:])
        row = job_row(self.api, job_id)
        self.assertEqual((row["state"], row["attempt"], row["owner"]), ("available", 0, None))


if __name__ == "__main__":
    unittest.main()
