"""End-to-end: graceful shutdown with a request in flight, the drain delay, and the CLI."""
import functools
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from keel import BINARY, Keel as KeelProcesses

# Signals and draining of one process: spoken to directly, also in scaled mode.
Keel = functools.partial(KeelProcesses, instances=1)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_lets_the_slow_request_finish_then_exits_0(self):
        keel = Keel().__enter__()
        result = {}

        def slow():
            result["response"] = keel.request("GET", "/api/v1/debug/sleep?ms=1500", timeout=20)

        thread = threading.Thread(target=slow)
        thread.start()
        # Wait until the slow request is in flight: the gauge counts it and the /metrics request itself.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            _, _, metrics = keel.request("GET", "/metrics")
            if "keel_http_requests_in_flight 2" in metrics.decode():
                break
        else:
            self.fail("the slow request never showed as in flight")
        keel.send_signal(signal.SIGTERM)
        code = keel.wait(timeout=15)
        thread.join()
        self.assertEqual(code, 0)
        status, _, body = result["response"]
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {"slept_ms": 1500})
        records = keel.log_records()
        messages = [r["message"] for r in records]
        self.assertIn("draining", messages)
        self.assertEqual(messages[-1], "stopped")
        # At start, the open-file limit is raised to the hard one and logged.
        limit = next(r for r in records if r["message"] == "descriptor limit")
        self.assertGreaterEqual(limit["now"], limit["before"])

    def test_ready_turns_503_at_once_while_draining(self):
        keel = Keel({"server.drain_delay_ms": 1500}).__enter__()
        keel.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 1.0
        status, body = None, None
        while time.monotonic() < deadline:
            status, _, body = keel.request("GET", "/ready")
            if status == 503:
                break
        self.assertEqual(status, 503)
        problem = json.loads(body)
        self.assertEqual(problem["state"], "draining")
        self.assertEqual(keel.request("GET", "/health")[0], 200)  # alive, just not ready
        self.assertEqual(keel.wait(timeout=15), 0)

    def test_drain_timeout_bounds_the_wait(self):
        keel = Keel({"server.drain_timeout_ms": 300}).__enter__()
        conn = keel.connection(timeout=20)
        conn.request("GET", "/api/v1/debug/sleep?ms=10000")
        time.sleep(0.2)
        started = time.monotonic()
        keel.send_signal(signal.SIGINT)
        self.assertEqual(keel.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 5)
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            conn.getresponse().read()


class CliTest(unittest.TestCase):
    def setUp(self):
        # Commands that build an App write ./var (database, signing key): keep that out of the source tree.
        self.scratch = tempfile.mkdtemp(prefix="keel-cli-")

    def tearDown(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def run_keel(self, *args, env=None, cwd=None):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        clean.update(env or {})
        return subprocess.run([BINARY, *args], capture_output=True, text=True, env=clean, cwd=cwd or self.scratch,
                              timeout=30)

    def test_version_and_help(self):
        out = self.run_keel("version")
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^keel \d+\.\d+\.\d+ ")
        for args in (["--help"], ["serve", "--help"], ["migrate", "--help"], ["config", "show", "--help"]):
            out = self.run_keel(*args)
            self.assertEqual(out.returncode, 0, args)
            self.assertIn("Usage", out.stdout)

    def test_unknown_key_and_bad_value_exit_2_naming_the_key(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "keel.toml")
            with open(path, "w") as f:
                f.write("[server]\nprot = 1\n")
            out = self.run_keel("serve", "--config", path)
            self.assertEqual(out.returncode, 2)
            self.assertIn("server.prot", out.stderr)
            out = self.run_keel("serve", env={"KEEL_SERVER_PORT": "eighty"})
            self.assertEqual(out.returncode, 2)
            self.assertIn("server.port", out.stderr)
            out = self.run_keel("serve", "--port", "99999")
            self.assertEqual(out.returncode, 2)
            out = self.run_keel("serve", "--bogus-flag")
            self.assertEqual(out.returncode, 2)

    def test_config_show_names_sources(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "keel.toml"), "w") as f:
                f.write("[log]\nlevel = \"debug\"\n")
            secret = "s3cret-signing-key-that-is-long-enough-123"
            out = self.run_keel("config", "show", env={"KEEL_SERVER_PORT": "9191", "KEEL_AUTH_JWT_SECRET": secret},
                                cwd=d)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("port = 9191  # KEEL_SERVER_PORT", out.stdout)
            self.assertIn('level = "debug"  # keel.toml', out.stdout)
            self.assertIn('host = "127.0.0.1"  # default', out.stdout)
            self.assertIn('jwt_secret = "<redacted>"  # KEEL_AUTH_JWT_SECRET', out.stdout)
            self.assertNotIn(secret, out.stdout)

    def test_migrate_applies_once(self):
        with tempfile.TemporaryDirectory() as d:
            env = {"KEEL_DATABASE_URL": f"sqlite://{d}/data/keel.db"}
            first = self.run_keel("migrate", env=env, cwd=d)
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertIn("applied 0001_instance", first.stdout)
            second = self.run_keel("migrate", env=env, cwd=d)
            self.assertEqual(second.returncode, 0)
            self.assertIn("no pending migrations", second.stdout)

    def test_second_server_on_the_same_port_refuses_to_start(self):
        with Keel() as keel:
            out = self.run_keel("serve", "--port", str(keel.port),
                                env={"KEEL_DATABASE_URL": f"sqlite://{keel.dir}/other.db"})
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("cannot listen", out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
