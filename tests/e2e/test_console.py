"""End-to-end: the web console in Debian's Chromium. Keel serves the console with a trained property model and
e-mail verification on; console/tests/run.mjs (playwright-core) runs every flow of console/tests/flows/ —
sign-up through the outbox code, tasks, a property prediction, each system's main flow, operations — failing on
any console error, failed request or serious axe-core violation, and saves a screenshot of every page it checks
under build/<preset>/test-artifacts/console/.

For work on the console: KEEL_CONSOLE_DIR serves a folder built by `node console/build.mjs --out DIR` instead of
the copy compiled into keel (console.dir), KEEL_CONSOLE_FLOWS runs only some flows ("tasks,property"), and
KEEL_CONSOLE_ARTIFACTS puts the screenshots elsewhere."""
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from keel import BINARY, CLUSTER_DIR, Keel
from test_property import train

SOURCE = os.environ.get("KEEL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CONSOLE = os.path.join(SOURCE, "console")
ARTIFACTS = os.environ.get("KEEL_CONSOLE_ARTIFACTS") or os.path.join(os.path.dirname(os.path.abspath(BINARY)), "test-artifacts",
                         "console-postgres" if CLUSTER_DIR else "console")
ADMIN = ("root@example.com", "correct horse battery")
# The first page's budget: what a visitor downloads before the sign-in form works.
FIRST_PAGE_BUDGET_KIB = 150
# Sanitizer builds run Keel 5-20 times slower: the flows' waits stretch with them.
SLOWER = 4 if any(build in BINARY for build in ("/asan/", "/tsan/")) else 1


class ConsoleTest(unittest.TestCase):
    def test_every_flow_in_chromium(self):
        models = tempfile.mkdtemp(prefix="keel-console-models-")
        try:
            train(models)
            config = {"ml.models": ["property"], "ml.model_dir": models, "ratelimit.enabled": False,
                      "auth.require_email_verification": True, "auth.argon2_memory_kib": 8192,
                      "auth.argon2_ops": 1, "jobs.poll_interval_ms": 50,
                      # Short-lived access tokens: the console refreshes them while the flows run.
                      "auth.access_ttl_s": 60}
            if os.environ.get("KEEL_CONSOLE_DIR"):
                config["console.dir"] = os.environ["KEEL_CONSOLE_DIR"]
            only = ["--only", os.environ["KEEL_CONSOLE_FLOWS"]] if os.environ.get("KEEL_CONSOLE_FLOWS") else []
            with Keel(config) as keel:
                keel.create_user(*ADMIN, admin=True)
                shutil.rmtree(ARTIFACTS, ignore_errors=True)
                done = subprocess.run(
                    ["node", os.path.join(CONSOLE, "tests", "run.mjs"), "--url", f"http://127.0.0.1:{keel.port}",
                     "--admin", ":".join(ADMIN), "--artifacts", ARTIFACTS, "--keel", BINARY,
                     "--config", keel.config_path, "--measure", "--slower", str(SLOWER), *only],
                    capture_output=True, text=True, timeout=840)  # under ctest's 900 s
                print(done.stdout, done.stderr)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                with open(os.path.join(ARTIFACTS, "report.json")) as f:
                    report = json.load(f)
                self.assertLess(report["first_load"]["transferred_kib"], FIRST_PAGE_BUDGET_KIB)
                self.assertTrue(all(flow["pages"] for flow in report["flows"].values()), report)
        finally:
            shutil.rmtree(models, ignore_errors=True)


    def test_the_page_and_its_assets_over_http(self):
        """The page under its CSP, every asset it names gzip-compressed and cacheable; a current copy answered
        304; behind nginx (the scaled mode), the assets served from nginx's cache after the first request."""
        with Keel({"ratelimit.enabled": False}) as keel:
            def get(path, headers=None, method="GET"):
                connection = http.client.HTTPConnection("127.0.0.1", keel.port, timeout=10)
                connection.request(method, path, headers=headers or {})
                response = connection.getresponse()
                body = response.read()
                connection.close()
                return response, body

            page, html = get("/")
            self.assertEqual(page.status, 200)
            self.assertIn("script-src 'self'", page.getheader("Content-Security-Policy"))
            self.assertEqual(page.getheader("Cache-Control"), "no-cache")
            assets = re.findall(r'(?:href|src)="(/assets/[^"]+)"', html.decode())
            self.assertGreaterEqual(len(assets), 3, html)
            for path in assets:
                first, _ = get(path, {"Accept-Encoding": "gzip"})
                self.assertEqual((first.status, first.getheader("Content-Encoding")), (200, "gzip"), path)
                self.assertIn("immutable", first.getheader("Cache-Control"))
                again, body = get(path, {"Accept-Encoding": "gzip", "If-None-Match": first.getheader("ETag")})
                self.assertEqual((again.status, body), (304, b""), path)
                if CLUSTER_DIR:
                    cached, _ = get(path, {"Accept-Encoding": "gzip"})
                    self.assertEqual(cached.getheader("X-Cache-Status"), "HIT", path)
            head, body = get(assets[0], method="HEAD")
            self.assertEqual((head.status, body), (200, b""))
            # Only the files built in, whatever the path says.
            for path in ("/assets/no-such-file.js", "/assets/..%2Fkeel.toml", "/assets/%2E%2E", "/assets/"):
                missing, _ = get(path)
                self.assertEqual(missing.status, 404, path)


if __name__ == "__main__":
    unittest.main()
