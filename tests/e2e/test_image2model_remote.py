"""End-to-end: Image2Model's remote generator against a local double of FAL's queue API (fal_double.py) with each
injected fault, and completion webhooks: delivered and signed, retried, and refused for private addresses."""
import hashlib
import hmac
import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import images
from fal_double import FalDouble
from keel import Keel, wait_for
from test_image2model import FAST, PASSWORD, upload, wait_finished

REMOTE = {"image2model.remote_model": "fal-ai/triposr", "image2model.remote_key_env": "FAL_TEST_KEY",
          "image2model.remote_poll_ms": 50, "image2model.remote_read_timeout_ms": 1000,
          "image2model.remote_total_timeout_ms": 1000, "image2model.remote_breaker_failures": 4,
          "image2model.remote_breaker_open_ms": 700, "image2model.generation_attempts": 3,
          "jobs.poll_interval_ms": 50}


class RemoteGeneratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.double = FalDouble().__enter__()
        cls.keel = Keel({**FAST, **REMOTE, "image2model.remote_base_url": cls.double.url},
                        env={"FAL_TEST_KEY": "test-key"}).__enter__()
        cls.who = cls.keel.sign_up("remote@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)
        cls.double.__exit__(None, None, None)

    def setUp(self):
        self.double.faults = []
        self.double.stuck = False
        self.double.broken_models = False

    def generate(self, expect="completed"):
        status, _, answer = upload(self.keel, self.who, [("a.jpg", images.jpeg(320, 240, seed=41))],
                                   {"generator": "remote"})
        self.assertEqual(status, 202, answer)
        document = wait_finished(self.keel, self.who, answer["job_id"], timeout=60)
        self.assertEqual(document["status"], expect, document)
        return document

    def test_a_remote_generation_runs_through_the_queue_api(self):
        before = self.double.count("POST", "/fal-ai/triposr")
        document = self.generate()
        self.assertEqual(self.double.count("POST", "/fal-ai/triposr"), before + 1)
        self.assertTrue(all(auth == "Key test-key" for method, path, auth in self.double.requests
                            if not path.startswith("/files/")))
        results = document["files"][0]["results"]
        status, _, glb = self.keel.request("GET", results["model"], headers=self.who)
        self.assertEqual((status, glb), (200, self.double.glb))  # the provider's model, as it made it
        self.assertEqual(results["triangles"], 4)
        status, _, stl = self.keel.request("GET", results["model"].replace(".glb", ".stl"), headers=self.who)
        self.assertEqual((status, len(stl)), (200, 84 + 50 * 4))
        self.assertGreaterEqual(self.keel.metric('keel_outbound_requests_total{outcome="2xx",provider="remote"}'), 4)

    def test_rate_limits_server_errors_hangs_and_malformed_answers_are_retried(self):
        # submit: 429 then 500 then fine; first status read hangs, then a page that is not JSON.
        self.double.faults = ["429", "500", None, "hang", "malformed"]
        self.generate()

    def test_a_submission_answer_without_a_request_id_is_tried_again(self):
        self.double.faults = ["no-id"]
        self.generate()

    def test_an_unusable_model_fails_the_file_after_its_attempts(self):
        self.double.broken_models = True
        document = self.generate(expect="failed")
        self.assertIn("unusable", document["files"][0]["error"])

    def test_an_open_breaker_makes_jobs_wait_without_spending_attempts(self):
        self.double.faults = ["500"] * 12  # more failures than the three attempts could absorb
        document = self.generate()
        self.assertGreaterEqual(self.keel.metric(
            'keel_outbound_requests_total{outcome="breaker_open",provider="remote"}') or 0, 1)
        attempts = self.keel.sql("SELECT attempt FROM jobs WHERE kind = 'image2model.generate' AND args LIKE ?",
                                 (f'%{document["files"][0]["file_id"]}%',))
        self.assertLessEqual(attempts[0][0], 3)

    def test_cancelling_a_batch_cancels_the_remote_request(self):
        self.double.stuck = True
        _, _, answer = upload(self.keel, self.who, [("a.jpg", images.jpeg(seed=43))], {"generator": "remote"})
        job_id = answer["job_id"]
        wait_for(lambda: self.keel.call("GET", f"/api/v1/status/{job_id}", self.who)[1]["files"][0]["stage"]
                 == "generating", what="the remote generation to run")
        status, document = self.keel.call("POST", f"/api/v1/batches/{job_id}/cancel", self.who)
        self.assertEqual((status, document["status"]), (200, "cancelled"))
        wait_for(lambda: self.double.cancelled, what="the provider to hear of the cancellation")


class Receiver:
    """A webhook receiver on loopback: records each delivery; answers with the statuses it is given, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.deliveries = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/keel"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookTest(unittest.TestCase):
    def test_the_webhook_is_delivered_signed_and_retried(self):
        receiver = Receiver([500])
        try:
            with Keel({**FAST, "image2model.webhook_allow": ["127.0.0.1/32"], "jobs.poll_interval_ms": 50}) as keel:
                who = keel.sign_up("hooks@example.com", PASSWORD)
                status, _, answer = upload(keel, who, [("a.png", images.png())], {"webhook_url": receiver.url})
                self.assertEqual(status, 202, answer)
                wait_finished(keel, who, answer["job_id"])
                wait_for(lambda: len(receiver.deliveries) >= 2, timeout=30, what="a retried delivery")
                headers, body = receiver.deliveries[-1]
                status, secret = keel.call("GET", "/api/v1/webhooks/secret", who)
                self.assertEqual(status, 200)
                timestamp, signature = dict(part.split("=", 1) for part in headers["X-Keel-Signature"].split(","))\
                    .values()
                expected = hmac.new(secret["secret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
                self.assertEqual(signature, expected.hexdigest())
                event = json.loads(body)
                self.assertEqual(event["event"], "batch.finished")
                self.assertEqual((event["batch"]["job_id"], event["batch"]["status"]), (answer["job_id"], "completed"))
                self.assertEqual(headers["X-Keel-Event"], "batch.finished")
                # A rotated secret is a new one.
                status, rotated = keel.call("POST", "/api/v1/webhooks/secret/rotate", who)
                self.assertNotEqual(rotated["secret"], secret["secret"])
        finally:
            receiver.close()

    def test_private_targets_are_refused(self):
        receiver = Receiver()
        try:
            with Keel({**FAST, "jobs.poll_interval_ms": 50}) as keel:
                who = keel.sign_up("ssrf@example.com", PASSWORD)
                # An address: refused in the upload's answer.
                for url in (receiver.url, "http://169.254.169.254/latest/meta-data", "http://[::1]:80/x"):
                    status, _, problem = upload(keel, who, [("a.png", images.png())], {"webhook_url": url})
                    self.assertEqual(status, 422, url)
                    self.assertIn("private or link-local", problem["errors"][0]["message"])
                # A name that resolves to one: refused at delivery, and not retried.
                url = receiver.url.replace("127.0.0.1", "localhost")
                status, _, answer = upload(keel, who, [("a.png", images.png())], {"webhook_url": url})
                self.assertEqual(status, 202, answer)
                wait_finished(keel, who, answer["job_id"])
                row = wait_for(lambda: keel.sql("SELECT state, result FROM jobs WHERE kind = 'image2model.webhook' "
                                                "AND state = 'completed'"), what="the delivery job to finish")
                self.assertIn("refused", json.loads(row[0][1]))
                self.assertEqual(receiver.deliveries, [])
                status, _, problem = upload(keel, who, [("a.png", images.png())], {"webhook_url": "ftp://x/y"})
                self.assertEqual(status, 422)
        finally:
            receiver.close()


if __name__ == "__main__":
    unittest.main()
