"""End-to-end: health, readiness, metrics, request ids, access log, handler failures, pool overload."""
import json
import re
import threading
import unittest

from keel import CLUSTER_DIR, Keel, cluster_settings


class OpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    @unittest.skipUnless(CLUSTER_DIR, "scaled mode: instances behind nginx")
    def test_scaled_mode_spreads_requests_over_the_instances(self):
        # Every suite's requests alternate between instances, so state kept in one process would show.
        served_by = {self.keel.request("GET", "/health")[1]["x-keel-instance"] for _ in range(10)}
        self.assertEqual(served_by, {"api-1", "api-2"})

    def test_health_is_healthy_at_both_paths(self):
        for path in ("/health", "/api/v1/health"):
            status, headers, body = self.keel.request("GET", path)
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "application/json")
            self.assertEqual(json.loads(body), {"status": "healthy"})

    def test_ready_checks_the_database(self):
        for path in ("/ready", "/api/v1/health/ready"):
            status, _, body = self.keel.request("GET", path)
            self.assertEqual(status, 200)
            # Scaled out, the shared KV store (Redis) is checked too, and its servers are listed. The chat
            # service (SIPREMS's) is the built-in analyst here, always ok.
            expected = {"status": "ready", "checks": {"database": "ok", "chat_service": "ok"}}
            if CLUSTER_DIR:
                kv_port = cluster_settings()["KEEL_KV_URL"].rsplit(":", 1)[1]
                expected["checks"]["kv"] = "ok"
                expected["nodes"] = {"kv": {f"127.0.0.1:{kv_port}": "master: reachable"}}
            self.assertEqual(json.loads(body), expected)

    def test_metrics_expose_http_pool_and_process_metrics(self):
        self.keel.request("GET", "/health")
        status, headers, _ = self.keel.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        text = self.keel.metrics()
        self.assertRegex(text, r'keel_http_requests_total\{method="GET",route="/health",status="200"\} [1-9]')
        self.assertIn('keel_http_request_duration_seconds_bucket{route="/health",le="0.001"}', text)
        for name in ("keel_http_requests_in_flight", "keel_pool_queue_depth", "keel_pool_rejections_total",
                     "keel_process_resident_memory_bytes", "keel_process_cpu_seconds_total",
                     "keel_process_open_fds", "keel_process_start_time_seconds", "keel_build_info"):
            self.assertRegex(text, rf"(?m)^{name}(\{{.*\}})? ", name)

    def test_unknown_paths_are_labelled_unmatched_not_by_raw_path(self):
        self.keel.request("GET", "/no/such/path/12345")
        text = self.keel.metrics()
        self.assertNotIn("/no/such/path", text)  # the route label, never the raw path
        self.assertIn('route="unmatched",status="404"', text)

    def test_request_id_is_generated_echoed_or_replaced(self):
        _, headers, _ = self.keel.request("GET", "/health")
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")
        _, headers, _ = self.keel.request("GET", "/health", headers={"X-Request-ID": "client-id.42"})
        self.assertEqual(headers["x-request-id"], "client-id.42")
        _, headers, _ = self.keel.request("GET", "/health", headers={"X-Request-ID": "bad id with spaces"})
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")

    def test_access_log_has_one_json_line_per_request(self):
        self.keel.request("GET", "/api/v1/debug/sleep?ms=1", headers={"X-Request-ID": "access-log-check"})
        record = self.wait_for_log(lambda r: r.get("request_id") == "access-log-check")
        self.assertEqual(record["message"], "request")
        self.assertEqual(record["level"], "info")
        self.assertEqual(record["method"], "GET")
        self.assertEqual(record["route"], "/api/v1/debug/sleep")
        self.assertEqual(record["status"], 200)
        self.assertEqual(record["bytes"], len(b'{"slept_ms":1}'))
        self.assertGreaterEqual(record["duration_ms"], 1.0)
        self.assertRegex(record["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")

    def test_handler_failure_is_a_logged_500_and_the_process_lives_on(self):
        status, headers, body = self.keel.request("GET", "/api/v1/debug/fail", headers={"X-Request-ID": "boom-1"})
        self.assertEqual(status, 500)
        self.assertEqual(headers["content-type"], "application/problem+json")
        self.assertEqual(json.loads(body)["status"], 500)
        record = self.wait_for_log(lambda r: r.get("request_id") == "boom-1" and r["level"] == "error")
        self.assertIn("deliberate failure", record["error"])
        self.assertEqual(self.keel.request("GET", "/health")[0], 200)

    def wait_for_log(self, predicate, timeout=5):
        import time
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.keel.log_records():
                if predicate(record):
                    return record
            time.sleep(0.05)
        self.fail("no matching log line in:\n" + self.keel.log())


class OverloadTest(unittest.TestCase):
    def test_full_blocking_pool_answers_503_with_retry_after(self):
        with Keel({"pool.threads": 1, "pool.queue_limit": 1}) as keel:
            results = []

            def call():
                results.append(keel.request("GET", "/api/v1/debug/block?ms=800"))

            # Twice what two processes hold (one running, one queued each): some are refused in both modes.
            threads = [threading.Thread(target=call) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            statuses = sorted(r[0] for r in results)
            self.assertIn(200, statuses)
            self.assertIn(503, statuses)
            refused = next(r for r in results if r[0] == 503)
            self.assertEqual(refused[1]["retry-after"], "1")
            self.assertEqual(refused[1]["content-type"], "application/problem+json")
            self.assertRegex(keel.metrics(), r'keel_pool_rejections_total\{pool="blocking"\} [1-9]')


if __name__ == "__main__":
    unittest.main()
