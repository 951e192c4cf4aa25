"""End-to-end: Keel on a Redis Cluster (three masters with a replica each) and on a master watched by Sentinel,
started by `keel cluster up --redis` (KEEL_E2E_REDIS=cluster or sentinel; ctest runs this file once per
topology, with test_cluster's cross-instance tests). Two instances behind nginx list the Redis nodes in /ready
and list each other's writes at once (the list cache's generation lives in Redis); a master killed with SIGKILL while clients create and list tasks and ask for predictions costs no 5xx and no
acknowledged write, the instances report the failover and recover without a restart, and a rate limit still
counts across instances afterwards. The failover window (the kill until both instances report every master
answering) is printed."""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from cluster import REDIS, Cluster
from keel import CLUSTER_DIR, wait_for
from test_cluster import CONFIG, PASSWORD, Load, assert_one_bucket_across_instances, bearer, train
from test_property import HOUSE


def redis_cli(port, *args):
    done = subprocess.run(["/usr/bin/redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10)
    return done.stdout


class Predictions:
    """Prediction requests through nginx until stopped, each for features no one asked before (a cache miss,
    then a Redis write) or the same ones again (a hit): statuses kept."""

    def __init__(self, cluster):
        self.cluster, self.statuses = cluster, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        n = 0
        while not self.stopping.is_set():
            n += 1
            features = dict(HOUSE, lot_area_sqft=HOUSE["lot_area_sqft"] + 1000 + n % 50)
            try:
                status, _, _ = self.cluster.request(self.cluster.nginx_port, "POST", "/api/v1/property/predict",
                                                    json.dumps({"features": features}),
                                                    {"Content-Type": "application/json"})
                self.statuses.append(status)
            except OSError as e:
                self.statuses.append(str(e))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


@unittest.skipIf(CLUSTER_DIR, "starts its own cluster; runs in the embedded suite")
@unittest.skipUnless(REDIS in ("cluster", "sentinel"), "needs KEEL_E2E_REDIS=cluster or sentinel")
class RedisTopologyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="keel-models-")
        train(cls.models)
        # The load's own limits out of the way (one user, one address); the auth limits stay, for test_3.
        unlimited = {"ratelimit.user_per_minute": 10**7, "ratelimit.user_burst": 10**6,
                     "ratelimit.api_per_minute": 10**7, "ratelimit.api_burst": 10**6}
        cls.cluster = Cluster(instances=2, workers=0, config={**CONFIG, **unlimited, "ml.models": ["property"],
                                                              "ml.model_dir": cls.models})
        cls.cluster.up()
        created = cls.cluster.keel("users", "create", "--email", "load@example.com",
                                   env={"KEEL_USER_PASSWORD": PASSWORD})
        assert created.returncode == 0, created.stderr
        status, _, tokens = cls.cluster.call(cls.cluster.nginx_port, "POST", "/api/v1/auth/login",
                                             payload={"email": "load@example.com", "password": PASSWORD})
        assert status == 200, tokens
        cls.who = bearer(tokens)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def ready(self, port):
        status, _, body = self.cluster.request(port, "GET", "/ready", timeout=10)
        return status, json.loads(body)

    def masters(self):
        """The data nodes that are masters now, as (name, port, pid)."""
        nodes = [p for p in self.cluster.state["processes"] if p["kind"] == "redis"]
        return [(p["name"], p["port"], p["pid"]) for p in nodes
                if "role:master" in redis_cli(p["port"], "INFO", "replication")]

    def test_1_ready_lists_the_nodes(self):
        status, body = self.ready(self.cluster.api_port(1))
        self.assertEqual((status, body["checks"]["kv"]), (200, "ok"), body)
        nodes = body["nodes"]["kv"]
        masters = [name for name, state in nodes.items() if state == "master: reachable"]
        if REDIS == "cluster":
            self.assertEqual(len(masters), 3, nodes)
        else:
            self.assertEqual(len(masters), 1, nodes)
            self.assertEqual(sum(state == "sentinel: reachable" for state in nodes.values()), 3, nodes)

    def test_1_a_write_on_one_instance_is_listed_at_once_by_the_other(self):
        # The list is cached in Redis under the user's generation; a write replaces the generation, so the
        # other instance's next read misses and lists from the database.
        first, second = self.cluster.api_port(1), self.cluster.api_port(2)

        def total(port):
            status, _, page = self.cluster.call(port, "GET", "/api/v1/tasks?per_page=1", self.who)
            self.assertEqual(status, 200, page)
            return page["total"]

        before = total(second)
        self.assertEqual(total(second), before)  # cached now
        status, _, task = self.cluster.call(first, "POST", "/api/v1/tasks", self.who, payload={"title": "fresh"})
        self.assertEqual(status, 201, task)
        self.assertEqual(total(second), before + 1)

    def test_2_a_master_killed_under_load_costs_no_5xx_and_no_acknowledged_write(self):
        wait_for(lambda: self.ready(self.cluster.api_port(1))[0] == 200, what="ready")
        ports = [self.cluster.api_port(1), self.cluster.api_port(2)]
        name, port, pid = self.masters()[0]
        with Load(self.cluster, self.who) as load, Predictions(self.cluster) as predictions:
            time.sleep(1.0)
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            # The instances notice: /ready says degraded (still 200, the service answers without Redis) ...
            wait_for(lambda: self.ready(ports[0])[1]["checks"]["kv"].startswith("degraded"), timeout=10,
                     interval=0.02, what="the loss noticed")
            # ... then every master answers again once a replica was promoted.
            for each in ports:
                wait_for(lambda: self.ready(each)[1]["checks"]["kv"] == "ok", timeout=30, interval=0.05,
                         what=f"kv ok again on port {each}")
            window = time.monotonic() - killed
            time.sleep(1.0)
        print(f"\n[ {REDIS} ] {name} killed: every master answered again on both instances after {window:.2f} s; "
              f"{len(load.created)} tasks created, {len(load.list_statuses)} lists, "
              f"{len(predictions.statuses)} predictions meanwhile")
        # Load keeps (status, body) for failures and a message for a broken connection.
        outcomes = load.create_failures + load.list_statuses + predictions.statuses
        server_errors = [s for s in outcomes
                         if isinstance(s, str) or (s[0] if isinstance(s, tuple) else s) >= 500]
        self.assertEqual(server_errors, [])
        self.assertEqual(load.create_failures, [])
        self.assertGreater(len(predictions.statuses), 0)
        stored = {row[0] for row in self.cluster.sql("SELECT id FROM tasks")}
        self.assertEqual([t for t in load.created if t not in stored], [])
        self.assertLess(window, 15)

    def test_3_after_the_failover_a_rate_limit_still_counts_across_instances(self):
        assert_one_bucket_across_instances(self, self.cluster, "after")

if __name__ == "__main__":
    unittest.main()
