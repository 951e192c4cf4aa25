"""End-to-end: the Live Validation Dashboard's ingestion (POST /api/v1/logs), reading what was stored, and the
dashboards built from per-minute rollups (seed 002). Runs in both modes: in the scaled one, two instances behind
nginx, so a rule change and the rollups must cross instances."""
import http.client
import json
import socket
import time
import unittest

from keel import Keel

PASSWORD = "correct horse battery"
CONFIG = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
          "apps.ingest_key_grace_s": 3600}

RULES = {
    "events": {
        "signup": {"type": "object", "required": ["plan"],
                   "properties": {"plan": {"enum": ["free", "pro"]}, "email": {"type": "string", "format": "email"}}},
        "purchase": {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "number",
                                                                                          "minimum": 0}}},
    },
    "unplanned": "flag",
}

# Two valid events, two that break a rule, one nobody planned.
BATCH = {"events": [
    {"event": "signup", "user_id": "u1", "properties": {"plan": "pro", "email": "a@example.com"}},
    {"event": "signup", "properties": {"plan": "gold"}},
    {"event": "purchase", "timestamp": "2026-12-01T10:00:00Z", "properties": {"amount": 12.5}},
    {"event": "purchase", "properties": {"amount": -1}},
    {"event": "refund", "properties": {}},
]}


class IngestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(CONFIG).__enter__()
        cls.alice = cls.keel.sign_up("alice@example.com", PASSWORD)
        cls.bob = cls.keel.sign_up("bob@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def ingest(self, key, payload, port=None):
        """POST /api/v1/logs with `key`, through nginx, or straight to the instance on `port`."""
        body = payload if isinstance(payload, str) else json.dumps(payload)
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        if port is None:
            status, _, data = self.keel.request("POST", "/api/v1/logs", body=body, headers=headers)
            return status, json.loads(data) if data else None
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("POST", "/api/v1/logs", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self.keel.check_answer("POST", "/api/v1/logs", response.status,
                                   {k.lower(): v for k, v in response.getheaders()}, data)
            return response.status, json.loads(data) if data else None
        finally:
            conn.close()

    def new_app(self, mode="flag", rules=RULES):
        status, app = self.keel.call("POST", "/api/v1/apps", self.alice, {"name": "Shop", "mode": mode})
        self.assertEqual(status, 201, app)
        if rules is not None:
            status, stored = self.keel.call("PUT", f"/api/v1/apps/{app['id']}/rules", self.alice, rules)
            self.assertEqual(status, 201, stored)
        return app

    def logs(self, app, query="", failed=False):
        status, page = self.keel.call("GET", f"/api/v1/apps/{app['id']}/{'failed' if failed else 'logs'}{query}",
                                    self.alice)
        self.assertEqual(status, 200, page)
        return page

    def dashboard(self, app, until_events, window="1h"):
        """The app's dashboard once its rollups count `until_events` events (each instance flushes every
        second)."""
        deadline = time.time() + 5
        while True:
            status, board = self.keel.call("GET", f"/api/v1/apps/{app['id']}/dashboard?window={window}", self.alice)
            self.assertEqual(status, 200, board)
            if board["totals"]["events"] >= until_events or time.time() > deadline:
                return board
            time.sleep(0.2)

    def test_flag_mode_stores_every_event_with_its_verdict(self):
        app = self.new_app("flag")
        status, answer = self.ingest(app["ingest_key"], BATCH)
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["accepted"], answer["invalid"], answer["blocked"]), (5, 3, 0))
        by_index = {r["index"]: r for r in answer["results"]}
        self.assertEqual(sorted(by_index), [1, 3, 4])
        self.assertEqual(by_index[1]["violations"][0]["path"], "/properties/plan")
        self.assertEqual(by_index[1]["violations"][0]["rule"], "enum")
        self.assertEqual(by_index[3]["violations"][0]["rule"], "minimum")
        self.assertEqual(by_index[4]["violations"][0]["rule"], "unplanned")
        self.assertFalse(any(r["blocked"] for r in answer["results"]))
        self.assertGreaterEqual(self.keel.metric('keel_validation_events_total{outcome="flagged"}'), 3)
        self.assertGreaterEqual(self.keel.metric('keel_validation_events_total{outcome="valid"}'), 2)

        page = self.logs(app)
        self.assertEqual(len(page["items"]), 5)
        self.assertIsNone(page["next_cursor"])
        # Newest first: the batch's last event comes first.
        self.assertEqual([i["event"] for i in page["items"]], ["refund", "purchase", "purchase", "signup", "signup"])
        first_signup = page["items"][-1]
        self.assertEqual((first_signup["valid"], first_signup["user_id"], first_signup["properties"]),
                         (True, "u1", {"plan": "pro", "email": "a@example.com"}))
        self.assertEqual((first_signup["violations"], first_signup["rules_version"]), ([], 1))
        sent_time = [i for i in page["items"] if i["properties"] == {"amount": 12.5}][0]
        self.assertEqual(sent_time["timestamp"][:19], "2026-12-01T10:00:00")
        self.assertEqual(len(self.logs(app, "?valid=false")["items"]), 3)
        self.assertEqual([i["valid"] for i in self.logs(app, "?event=purchase")["items"]], [False, True])
        self.assertEqual(self.logs(app, failed=True)["items"], [])
        # A single event is an envelope of its own.
        status, answer = self.ingest(app["ingest_key"], {"event": "signup", "properties": {"plan": "free"}})
        self.assertEqual((status, answer["accepted"], answer["invalid"], answer["results"]), (200, 1, 0, []))

    def test_block_mode_keeps_invalid_events_aside_with_their_reasons(self):
        app = self.new_app("block", dict(RULES, unplanned="allow"))
        status, answer = self.ingest(app["ingest_key"], BATCH)
        self.assertEqual(status, 200, answer)
        # The unplanned refund is allowed; the two that break their schema are blocked.
        self.assertEqual((answer["accepted"], answer["invalid"], answer["blocked"]), (3, 2, 2))
        self.assertTrue(all(r["blocked"] for r in answer["results"]))
        self.assertEqual(sorted(i["event"] for i in self.logs(app)["items"]), ["purchase", "refund", "signup"])
        failed = self.logs(app, failed=True)["items"]
        self.assertEqual(sorted((i["event"], i["violations"][0]["rule"]) for i in failed),
                         [("purchase", "minimum"), ("signup", "enum")])
        self.assertNotIn("valid", failed[0])
        # An unplanned policy of block keeps unplanned events aside even in flag mode.
        flagging = self.new_app("flag", dict(RULES, unplanned="block"))
        status, answer = self.ingest(flagging["ingest_key"], BATCH)
        self.assertEqual((answer["accepted"], answer["invalid"], answer["blocked"]), (4, 3, 1))
        self.assertEqual([i["event"] for i in self.logs(flagging, failed=True)["items"]], ["refund"])

    def test_an_app_without_rules_takes_every_event_as_valid(self):
        app = self.new_app(rules=None)
        status, answer = self.ingest(app["ingest_key"], BATCH)
        self.assertEqual((status, answer["accepted"], answer["invalid"]), (200, 5, 0))
        self.assertTrue(all(i["valid"] and i["rules_version"] is None for i in self.logs(app)["items"]))

    def test_bad_keys_and_bad_envelopes_store_nothing(self):
        app = self.new_app()
        self.assertEqual(self.ingest(None, BATCH)[0], 401)
        self.assertEqual(self.ingest("lvd_not-a-key", BATCH)[0], 401)
        self.assertEqual(self.ingest("keel_something", BATCH)[0], 401)
        self.assertEqual(self.ingest(app["ingest_key"], "{")[0], 400)
        bad = {"events": [BATCH["events"][0], {"event": "signup", "timestamp": "yesterday"}, {"properties": {}}]}
        status, problem = self.ingest(app["ingest_key"], bad)
        self.assertEqual(status, 422, problem)
        self.assertEqual(sorted(e["pointer"] for e in problem["errors"]), ["/events/1/timestamp", "/events/2/event"])
        self.assertEqual(self.ingest(app["ingest_key"], {"events": []})[0], 422)
        self.assertEqual(self.ingest(app["ingest_key"], {"events": [{"event": "x"}] * 1001})[0], 422)
        self.assertEqual(self.logs(app)["items"], [])
        # A deleted app's key stops working.
        self.assertEqual(self.keel.call("DELETE", f"/api/v1/apps/{app['id']}", self.alice)[0], 204)
        time.sleep(0.2)  # the other instances hear of the delete through publish/subscribe
        self.assertEqual(self.ingest(app["ingest_key"], BATCH)[0], 401)

    def test_a_rotated_key_keeps_working_beside_the_new_one(self):
        app = self.new_app()
        status, rotated = self.keel.call("POST", f"/api/v1/apps/{app['id']}/ingest-keys", self.alice)
        self.assertEqual(status, 201)
        for key in (app["ingest_key"], rotated["ingest_key"]):
            self.assertEqual(self.ingest(key, {"event": "signup", "properties": {"plan": "pro"}})[0], 200)
        self.assertEqual(len(self.logs(app)["items"]), 2)

    def test_a_rule_change_reaches_every_instance_within_a_second(self):
        app = self.new_app()
        event = {"event": "signup", "properties": {"plan": "gold"}}
        for process in self.keel.processes:  # every instance has the app's rules cached
            self.assertEqual(self.ingest(app["ingest_key"], event, process.port)[1]["invalid"], 1)
        gold = {"events": {"signup": {"properties": {"plan": {"enum": ["free", "pro", "gold"]}}}}}
        self.assertEqual(self.keel.call("PUT", f"/api/v1/apps/{app['id']}/rules", self.alice, gold)[0], 201)
        self.assertEqual(self.keel.call("PATCH", f"/api/v1/apps/{app['id']}", self.alice, {"mode": "block"})[0], 200)
        time.sleep(1.0)  # the bound; publish/subscribe takes milliseconds
        bad = {"event": "signup", "properties": {"plan": "platinum"}}
        for process in self.keel.processes:
            self.assertEqual(self.ingest(app["ingest_key"], event, process.port)[1]["invalid"], 0)
            self.assertEqual(self.ingest(app["ingest_key"], bad, process.port)[1]["blocked"], 1)
        versions = {i["rules_version"] for i in self.logs(app)["items"]}
        self.assertEqual(versions, {1, 2})

    def test_reading_pages_through_every_event_with_a_cursor(self):
        app = self.new_app()
        sent = [{"event": "signup", "properties": {"plan": "free", "n": n}} for n in range(25)]
        self.assertEqual(self.ingest(app["ingest_key"], {"events": sent})[0], 200)
        seen, query = [], "?limit=10"
        while True:
            page = self.logs(app, query)
            seen += [i["properties"]["n"] for i in page["items"]]
            if page["next_cursor"] is None:
                break
            query = f"?limit=10&cursor={page['next_cursor']}"
        self.assertEqual(sorted(seen), list(range(25)))
        self.assertEqual(len(seen), 25)
        status, problem = self.keel.call("GET", f"/api/v1/apps/{app['id']}/logs?limit=0&valid=maybe&cursor=zz&since=x",
                                       self.alice)
        self.assertEqual(status, 422)
        self.assertEqual(sorted(e["field"] for e in problem["errors"]), ["cursor", "limit", "since", "valid"])
        self.assertEqual(self.logs(app, "?since=2999-01-01T00:00:00Z")["items"], [])
        for path in ("logs", "failed", "dashboard"):
            self.assertEqual(self.keel.call("GET", f"/api/v1/apps/{app['id']}/{path}", self.bob)[0], 404, path)

    def test_dashboards_count_what_every_instance_ingested(self):
        app = self.new_app("block", dict(RULES, unplanned="allow"))
        for process in self.keel.processes:  # each instance counts its own; the rollups add them up
            self.assertEqual(self.ingest(app["ingest_key"], BATCH, process.port)[0], 200)
        n = len(self.keel.processes)
        board = self.dashboard(app, until_events=5 * n)
        self.assertEqual(board["totals"], {"events": 5 * n, "valid": 3 * n, "invalid": 2 * n, "blocked": 2 * n})
        self.assertEqual(board["window"], "1h")
        self.assertEqual({e["event"]: (e["count"], e["invalid"]) for e in board["by_event"]},
                         {"signup": (2 * n, n), "purchase": (2 * n, n), "refund": (n, 0)})
        self.assertEqual(sorted((v["event"], v["path"], v["rule"], v["count"]) for v in board["by_violation"]),
                         [("purchase", "/properties/amount", "minimum", n), ("signup", "/properties/plan", "enum", n)])
        self.assertEqual(len(board["series"]), 60)
        self.assertEqual(sum(b["events"] for b in board["series"]), 5 * n)
        week = self.dashboard(app, 5 * n, "7d")["series"]
        self.assertIn(len(week), (168, 169))  # hours, the first one partly in the window
        self.assertEqual(sum(b["events"] for b in week), 5 * n)
        status, overview = self.keel.call("GET", "/api/v1/dashboard?window=15m", self.alice)
        self.assertEqual(status, 200)
        mine = [a for a in overview["apps"] if a["id"] == app["id"]]
        self.assertEqual(mine[0]["totals"]["events"], 5 * n)
        self.assertEqual(self.keel.call("GET", "/api/v1/dashboard", self.bob)[1]["apps"], [])
        self.assertEqual(self.keel.call("GET", "/api/v1/dashboard?window=2h", self.alice)[0], 422)


    def open_live(self, app, port):
        """GET /api/v1/apps/{id}/live straight to the instance on `port`; returns a reader of its events."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/api/v1/apps/{app['id']}/live", headers=self.alice)
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "text/event-stream")
        return conn, LiveEvents(response)

    def test_live_events_reach_a_viewer_on_any_instance(self):
        app = self.new_app("block", dict(RULES, unplanned="allow"))
        viewer_port = self.keel.processes[-1].port  # the last instance watches, the first one ingests
        conn, live = self.open_live(app, viewer_port)
        try:
            # The first stats event tells the subscription is in place.
            self.assertEqual(live.next_of("stats")["events"], 0)
            sent = time.monotonic()
            status, _ = self.ingest(app["ingest_key"], BATCH, self.keel.processes[0].port)
            self.assertEqual(status, 200)
            logs = [live.next_of("log") for _ in BATCH["events"]]
            delay = time.monotonic() - sent
            self.assertLess(delay, 2.0)
            self.assertEqual([e["event"] for e in logs], [e["event"] for e in BATCH["events"]])
            blocked = [e for e in logs if e["blocked"]]
            self.assertEqual(sorted(e["violations"][0]["rule"] for e in blocked), ["enum", "minimum"])
            self.assertEqual(logs[0]["properties"], BATCH["events"][0]["properties"])
            # Within two seconds a stats event counts the batch (its second, reported by the ingesting instance).
            counted = {"events": 0, "invalid": 0, "blocked": 0}
            deadline = time.monotonic() + 4
            while counted["events"] < 5 and time.monotonic() < deadline:
                stats = live.next_of("stats")
                for key in counted:
                    counted[key] += stats[key]
            self.assertEqual(counted, {"events": 5, "invalid": 2, "blocked": 2})
        finally:
            conn.close()
        self.assertEqual(self.keel.call("GET", f"/api/v1/apps/{app['id']}/live", self.bob)[0], 404)


class LiveEvents:
    """Server-Sent Events read off a live response, one at a time."""

    def __init__(self, response):
        self.response = response

    def next_of(self, kind, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            name, data = self.next()
            if name == kind:
                return data
        raise AssertionError(f"no {kind} event within {timeout} s")

    def next(self):
        name, data = None, None
        while True:
            try:
                line = self.response.fp.readline()
            except socket.timeout:
                raise AssertionError("the live stream went quiet")
            if not line:
                raise AssertionError("the live stream ended")
            line = line.decode().rstrip("\r\n")
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: "):])
            elif line == "" and name is not None:
                return name, data


if __name__ == "__main__":
    unittest.main()
