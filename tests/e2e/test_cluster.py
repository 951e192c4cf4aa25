"""End-to-end: the scaled-out topology of `keel cluster` — PostgreSQL behind pgBouncer, Redis, two keel
instances behind nginx and a separate worker process. What one instance does is seen by the other (tokens, rate
limits, cached predictions, jobs and their progress stream), and faults cost no acknowledged write: Redis
stopped and started, PostgreSQL restarted under load, one instance killed with SIGKILL under load."""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from cluster import Cluster
from keel import BINARY, CLUSTER_DIR, wait_for
from test_property import AMES, HOUSE

PASSWORD = "correct horse battery"
CONFIG = {
    "debug.routes": True,
    "auth.require_email_verification": False,
    "auth.argon2_memory_kib": 8192,
    "auth.argon2_ops": 1,
    "jobs.poll_interval_ms": 50,
    "log.access": False,
    # Sanitizer builds on a loaded 2-core machine can take longer than the default 250 ms for a Redis answer;
    # a timeout reads as a cache miss, which these tests would take for a wrong answer.
    "kv.timeout_ms": 2000,
}


def train(model_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["KEEL_ML_MODEL_DIR"] = model_dir
    done = subprocess.run([BINARY, "train", "property", "--data", AMES, "--rounds", "50"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr


def assert_one_bucket_across_instances(test, cluster, who):
    """Failed logins alternating between the two instances each use up one more of the address's requests:
    one bucket in Redis, whichever instance took them."""
    remaining = []
    for i in range(6):
        port = cluster.api_port(1 + i % 2)
        # A new account each time: one account's failures end in its own 429, which speaks of the account's
        # lock-out, not of the address's bucket.
        status, headers, _ = cluster.call(port, "POST", "/api/v1/auth/login",
                                          payload={"email": f"{who}{i}@example.com", "password": "wrong"})
        remaining.append((headers["x-keel-instance"], int(headers["ratelimit-remaining"])))
    counts = [r for _, r in remaining]
    test.assertEqual(counts, list(range(counts[0], counts[0] - 6, -1)), remaining)


def bearer(tokens):
    return {"Authorization": "Bearer " + tokens["access_token"]}


@unittest.skipIf(CLUSTER_DIR, "starts its own cluster; runs once, in the embedded suite")
class CrossInstanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="keel-models-")
        train(cls.models)
        cls.cluster = Cluster(instances=2, workers=1,
                              config={**CONFIG, "ml.models": ["property"], "ml.model_dir": cls.models})
        cls.cluster.up()
        created = cls.cluster.keel("users", "create", "--email", "root@example.com", "--admin",
                                   env={"KEEL_USER_PASSWORD": PASSWORD})
        assert created.returncode == 0, created.stderr

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def login(self, port):
        status, _, tokens = self.cluster.call(port, "POST", "/api/v1/auth/login",
                                              payload={"email": "root@example.com", "password": PASSWORD})
        self.assertEqual(status, 200, tokens)
        return bearer(tokens)

    def test_nginx_spreads_requests_over_both_instances_and_status_sees_every_process(self):
        served_by = set()
        for _ in range(20):
            status, headers, _ = self.cluster.request(self.cluster.nginx_port, "GET", "/health")
            self.assertEqual(status, 200)
            served_by.add(headers["x-keel-instance"])
        self.assertEqual(served_by, {"api-1", "api-2"})
        status = self.cluster.run("cluster", "status", "--dir", self.cluster.dir)
        self.assertEqual(status.returncode, 0, status.stdout)
        redis = "redis" if self.cluster.redis == "single" else "redis-1"
        for name in ("postgres", "pgbouncer", redis, "api-1", "api-2", "worker-1", "nginx"):
            self.assertIn(name, status.stdout)

    def test_a_token_issued_by_one_instance_works_on_the_other(self):
        who = self.login(self.cluster.api_port(1))
        status, _, me = self.cluster.call(self.cluster.api_port(2), "GET", "/api/v1/auth/me", who)
        self.assertEqual((status, me["email"]), (200, "root@example.com"))

    def test_a_rate_limit_counts_across_instances(self):
        assert_one_bucket_across_instances(self, self.cluster, "nobody")

    def test_a_prediction_cached_by_one_instance_is_a_hit_on_the_other(self):
        wait_for(lambda: self.cluster.request(self.cluster.api_port(2), "GET", "/ready")[0] == 200,
                 what="model loaded")
        features = dict(HOUSE, lot_area_sqft=HOUSE["lot_area_sqft"] + 17)  # a row no other test predicted
        body = json.dumps({"features": features})
        status, first, _ = self.cluster.request(self.cluster.api_port(1), "POST", "/api/v1/property/predict", body,
                                                {"Content-Type": "application/json"})
        self.assertEqual((status, first["x-cache"]), (200, "MISS"))
        status, second, _ = self.cluster.request(self.cluster.api_port(2), "POST", "/api/v1/property/predict",
                                                 body, {"Content-Type": "application/json"})
        self.assertEqual((status, second["x-cache"]), (200, "HIT"))

    def test_a_job_enqueued_on_an_instance_runs_on_the_worker_and_its_stream_reaches_the_other(self):
        who = self.login(self.cluster.api_port(1))
        status, _, job = self.cluster.call(self.cluster.api_port(1), "POST", "/api/v1/debug/jobs", who,
                                           {"kind": "debug.sleep", "args": {"ms": 1000}})
        self.assertIn(status, (200, 201), job)
        # The instances run no workers (jobs.workers = false): only the worker process can run it.
        conn_port = self.cluster.api_port(2)
        status, headers, data = self.cluster.request(conn_port, "GET", f"/api/v1/jobs/{job['id']}/events", None,
                                                     who, timeout=30)
        self.assertEqual(status, 200)
        self.assertEqual(headers["x-keel-instance"], "api-2")
        events = []
        for block in data.decode().split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if "event" in lines:
                events.append((lines["event"], json.loads(lines["data"])))
        self.assertEqual(events[-1][0], "end")
        self.assertEqual(events[-1][1]["state"], "completed")
        self.assertTrue(any(name == "update" and 0 < data["progress"]["percent"] < 100 for name, data in events))


class Load:
    """Clients through nginx until stopped: signed-in task creates (each 201 remembered) and task lists."""

    def __init__(self, cluster, who, threads=4):
        self.cluster, self.who = cluster, who
        self.created, self.create_failures, self.list_statuses = [], [], []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, index):
        n = 0
        while not self.stopping.is_set():
            n += 1
            create = n % 2 == 1
            try:
                if create:
                    status, _, data = self.cluster.request(
                        self.cluster.nginx_port, "POST", "/api/v1/tasks",
                        json.dumps({"title": f"load {index}-{n}", "priority": "low"}),
                        dict(self.who, **{"Content-Type": "application/json"}))
                    if status == 201:
                        self.created.append(json.loads(data)["id"])
                    else:
                        self.create_failures.append((status, data[:200]))
                else:
                    status, _, data = self.cluster.request(self.cluster.nginx_port, "GET", "/api/v1/tasks?per_page=5",
                                                           None, self.who)
                    self.list_statuses.append(status if status == 200 else (status, data[:200]))
            except OSError as e:
                (self.create_failures if create else self.list_statuses).append(str(e))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join()


@unittest.skipIf(CLUSTER_DIR, "starts its own cluster; runs once, in the embedded suite")
class FaultTest(unittest.TestCase):
    """In order (unittest sorts by name): each fault leaves the cluster as the next one expects."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(instances=2, workers=0, config={**CONFIG, "ml.models": [],
                                                              "ratelimit.enabled": False})
        cls.cluster.up()
        created = cls.cluster.keel("users", "create", "--email", "load@example.com",
                                   env={"KEEL_USER_PASSWORD": PASSWORD})
        assert created.returncode == 0, created.stderr
        status, _, tokens = cls.cluster.call(cls.cluster.nginx_port, "POST", "/api/v1/auth/login",
                                             payload={"email": "load@example.com", "password": PASSWORD})
        assert status == 200, tokens
        cls.who = bearer(tokens)
        cls.restarted = []  # servers a test started again; `cluster down` stops them

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)
        for process in cls.restarted:
            process.wait(timeout=30)

    def ready(self, port):
        status, _, body = self.cluster.request(port, "GET", "/ready", timeout=10)
        return status, json.loads(body)

    def assert_all_acknowledged_writes_are_stored(self, created):
        stored = {row[0] for row in self.cluster.sql("SELECT id FROM tasks")}
        missing = [task_id for task_id in created if task_id not in stored]
        self.assertEqual(missing, [], f"{len(missing)} acknowledged tasks lost")

    def listed_total(self, port):
        status, _, page = self.cluster.call(port, "GET", "/api/v1/tasks?per_page=1", self.who)
        return page["total"] if status == 200 else None

    def test_1_redis_stopped_degrades_the_service_and_started_again_it_recovers(self):
        ports = [self.cluster.api_port(1), self.cluster.api_port(2)]
        before = self.listed_total(ports[0])
        self.assertIsNotNone(before)
        self.assertEqual(self.listed_total(ports[1]), before)  # the page is cached in Redis now
        redis = self.cluster.process("redis")
        # A snapshot that the start below loads: Redis comes back with its old data, as after a partition (a
        # plain restart of this cache-only Redis would come back empty and hide stale pages).
        saved = subprocess.run(["/usr/bin/redis-cli", "-p", str(redis["port"]), "SAVE"], capture_output=True,
                               text=True, timeout=30)
        self.assertEqual(saved.stdout.strip(), "OK", saved.stderr)
        os.kill(redis["pid"], signal.SIGTERM)
        port = self.cluster.api_port(1)
        status, body = wait_for(lambda: (r := self.ready(port))[1]["checks"]["kv"].startswith("degraded") and r,
                                what="kv degraded")
        self.assertEqual((status, body["status"]), (200, "degraded"))
        status, _, _ = self.cluster.call(self.cluster.nginx_port, "GET", "/api/v1/tasks", self.who)
        self.assertEqual(status, 200)  # still answering: caches bypassed, rate limits on their fallback
        # A write while Redis is away: its owner's list generation cannot be replaced until Redis is back.
        status, _, task = self.cluster.call(port, "POST", "/api/v1/tasks", self.who,
                                            payload={"title": "written while Redis was away"})
        self.assertEqual(status, 201, task)
        # Started again with the cluster's own config: the instances reconnect without a restart.
        argv = ["/usr/bin/redis-server", os.path.join(self.cluster.dir, "redis", "redis.conf")]
        if os.geteuid() == 0:
            argv = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--init-groups", "--"] + argv
        restarted = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        try:
            wait_for(lambda: self.ready(port)[1].get("status") == "ready", what="kv back")
            # The page cached before the write came back with Redis; no instance may serve it once the retried
            # generation replacement went through (every 500 ms).
            for each in ports:
                wait_for(lambda: self.listed_total(each) == before + 1, timeout=10, interval=0.25,
                         what=f"the write listed on port {each}")
        finally:
            restarted.terminate()
            restarted.wait(timeout=10)
            os.remove(os.path.join(self.cluster.dir, "redis", "dump.rdb"))

    def test_2_postgres_restarted_under_load_loses_no_acknowledged_write(self):
        postgres = self.cluster.process("postgres")
        data = os.path.join(self.cluster.dir, "pg", "data")
        with Load(self.cluster, self.who) as load:
            time.sleep(2)
            os.kill(postgres["pid"], signal.SIGINT)  # fast shutdown: in-flight transactions abort
            wait_for(lambda: self.ready(self.cluster.api_port(1))[0] == 503, what="/ready 503", timeout=30)
            argv = ["/usr/lib/postgresql/15/bin/postgres", "-D", data]
            if os.geteuid() == 0:
                argv = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv
            wait_for(lambda: not os.path.exists(os.path.join(data, "postmaster.pid")), what="postgres stopped")
            restarted = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True, cwd=self.cluster.dir)
            type(self).restarted.append(restarted)
            wait_for(lambda: self.ready(self.cluster.api_port(1))[0] == 200, what="/ready 200 again", timeout=60)
            time.sleep(2)  # load keeps going on the recovered pool
        self.cluster.state["processes"] = [dict(p, pid=restarted.pid) if p["name"] == "postgres" else p
                                           for p in self.cluster.state["processes"]]
        with open(os.path.join(self.cluster.dir, "cluster.json"), "w") as f:
            json.dump(self.cluster.state, f)  # so `cluster down` stops the new postmaster
        self.assertGreater(len(load.created), 0)
        self.assert_all_acknowledged_writes_are_stored(load.created)
        recent = load.list_statuses[-20:]
        self.assertEqual([s for s in recent if s != 200], [], recent)  # recovered without a keel restart

    def test_3_an_instance_killed_under_load_loses_no_acknowledged_write(self):
        victim = self.cluster.process("api-2")
        with Load(self.cluster, self.who) as load:
            time.sleep(5)
            os.kill(victim["pid"], signal.SIGKILL)
            time.sleep(15)
        self.assertGreater(len(load.created), 100)
        self.assert_all_acknowledged_writes_are_stored(load.created)
        # Task lists are idempotent: nginx retries them on the surviving instance.
        failed_lists = [s for s in load.list_statuses if s != 200]
        self.assertEqual(failed_lists, [])


if __name__ == "__main__":
    unittest.main()
