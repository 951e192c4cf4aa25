"""End-to-end: the Live Validation Dashboard's apps, ingest keys and versioned rules (seed 002), through HTTP."""
import json
import unittest

from keel import Keel

PASSWORD = "correct horse battery"
CONFIG = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
          "apps.ingest_key_grace_s": 3600}

SIGNUP_RULES = {
    "events": {
        "signup": {"type": "object", "required": ["plan"],
                   "properties": {"plan": {"enum": ["free", "pro"]}, "email": {"type": "string", "format": "email"}}},
    },
    "unplanned": "flag",
}


class AppsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(CONFIG).__enter__()
        cls.alice = cls.keel.sign_up("alice@example.com", PASSWORD)
        cls.bob = cls.keel.sign_up("bob@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def call(self, method, path, who, payload=None):
        body = None if payload is None else (payload if isinstance(payload, str) else json.dumps(payload))
        headers = dict(who)
        if body is not None:
            headers["Content-Type"] = "application/json"
        status, response_headers, data = self.keel.request(method, path, body=body, headers=headers)
        return status, response_headers, json.loads(data) if data else None

    def new_app(self, who, name="Checkout", mode=None):
        payload = {"name": name} if mode is None else {"name": name, "mode": mode}
        status, headers, app = self.call("POST", "/api/v1/apps", who, payload)
        self.assertEqual(status, 201, app)
        return app, headers

    def test_an_app_is_created_with_a_key_shown_once_and_belongs_to_its_owner(self):
        app, headers = self.new_app(self.alice, "  Web shop  ")
        self.assertEqual(headers["location"], f"/api/v1/apps/{app['id']}")
        self.assertEqual((app["name"], app["mode"], app["rules_version"]), ("Web shop", "flag", None))
        self.assertTrue(app["ingest_key"].startswith("lvd_"))
        status, _, read = self.call("GET", f"/api/v1/apps/{app['id']}", self.alice)
        self.assertEqual(status, 200)
        self.assertNotIn("ingest_key", read)  # shown once
        status, _, page = self.call("GET", "/api/v1/apps?per_page=100", self.alice)
        self.assertIn(app["id"], [a["id"] for a in page["items"]])
        # Another user learns nothing: every route answers 404.
        for method, path, payload in (("GET", "", None), ("PATCH", "", {"mode": "block"}), ("DELETE", "", None),
                                      ("POST", "/ingest-keys", None), ("PUT", "/rules", SIGNUP_RULES),
                                      ("GET", "/rules", None), ("GET", "/rules/versions", None),
                                      ("GET", "/rules/versions/1", None)):
            status, _, problem = self.call(method, f"/api/v1/apps/{app['id']}{path}", self.bob, payload)
            self.assertEqual(status, 404, (method, path, problem))
        status, _, page = self.call("GET", "/api/v1/apps", self.bob)
        self.assertNotIn(app["id"], [a["id"] for a in page["items"]])

    def test_patch_delete_and_bad_input(self):
        app, _ = self.new_app(self.alice, mode="block")
        self.assertEqual(app["mode"], "block")
        status, _, changed = self.call("PATCH", f"/api/v1/apps/{app['id']}", self.alice, {"mode": "flag"})
        self.assertEqual((status, changed["mode"], changed["name"]), (200, "flag", "Checkout"))
        status, _, problem = self.call("PATCH", f"/api/v1/apps/{app['id']}", self.alice, {"mode": "drop", "x": 1})
        self.assertEqual(status, 422)
        self.assertEqual(sorted(e["field"] for e in problem["errors"]), ["mode", "x"])
        status, _, problem = self.call("POST", "/api/v1/apps", self.alice, {"name": ""})
        self.assertEqual(status, 422)
        self.assertEqual(self.call("POST", "/api/v1/apps", self.alice, "{")[0], 400)
        self.assertEqual(self.call("DELETE", f"/api/v1/apps/{app['id']}", self.alice)[0], 204)
        self.assertEqual(self.call("GET", f"/api/v1/apps/{app['id']}", self.alice)[0], 404)
        self.assertEqual(self.call("DELETE", f"/api/v1/apps/{app['id']}", self.alice)[0], 404)

    def test_rotating_the_key_gives_the_old_one_a_grace_period(self):
        app, _ = self.new_app(self.alice)
        status, _, rotated = self.call("POST", f"/api/v1/apps/{app['id']}/ingest-keys", self.alice)
        self.assertEqual(status, 201, rotated)
        self.assertTrue(rotated["ingest_key"].startswith("lvd_"))
        self.assertNotEqual(rotated["ingest_key"], app["ingest_key"])
        self.assertIsNotNone(rotated["previous_key_expires_at"])
        # Stored hashed: no table holds a key as sent.
        keys = self.keel.sql("SELECT key_hash, prefix FROM validation_ingest_keys WHERE app_id = ?", (app["id"],))
        self.assertEqual(len(keys), 2)
        for key_hash, prefix in keys:
            self.assertNotIn(key_hash, (app["ingest_key"], rotated["ingest_key"]))
            self.assertTrue(prefix.startswith("lvd_"))

    def test_rules_are_versioned_and_compiled_before_they_are_stored(self):
        app, _ = self.new_app(self.alice)
        base = f"/api/v1/apps/{app['id']}"
        self.assertEqual(self.call("GET", f"{base}/rules", self.alice)[0], 404)  # none yet
        status, headers, first = self.call("PUT", f"{base}/rules", self.alice, SIGNUP_RULES)
        self.assertEqual(status, 201, first)
        self.assertEqual((first["version"], first["unplanned"]), (1, "flag"))
        self.assertEqual(headers["location"], f"{base}/rules/versions/1")
        second_rules = {"events": {"signup": True, "purchase": {"required": ["amount"]}}}
        status, _, second = self.call("PUT", f"{base}/rules", self.alice, second_rules)
        self.assertEqual((status, second["version"], second["unplanned"]), (201, 2, "allow"))
        status, _, current = self.call("GET", f"{base}/rules", self.alice)
        self.assertEqual((current["version"], current["events"]), (2, second_rules["events"]))
        self.assertEqual(self.call("GET", base, self.alice)[2]["rules_version"], 2)
        status, _, versions = self.call("GET", f"{base}/rules/versions", self.alice)
        self.assertEqual([(v["version"], sorted(v["events"])) for v in versions["items"]],
                         [(2, ["purchase", "signup"]), (1, ["signup"])])
        self.assertEqual(versions["total"], 2)
        status, _, old = self.call("GET", f"{base}/rules/versions/1", self.alice)
        self.assertEqual((status, old["events"]), (200, SIGNUP_RULES["events"]))
        for missing in ("3", "0", "one"):
            self.assertEqual(self.call("GET", f"{base}/rules/versions/{missing}", self.alice)[0], 404, missing)

        # A keyword outside the supported set is refused where it is, never ignored; nothing is stored.
        status, _, problem = self.call("PUT", f"{base}/rules", self.alice, {
            "events": {"signup": {"properties": {"plan": {"oneOf": [{"const": "free"}]}}},
                       "search": {"properties": {"q": {"pattern": "(a)\\1"}}}},
            "unplanned": "sometimes"})
        self.assertEqual(status, 422, problem)
        self.assertEqual(sorted(e["pointer"] for e in problem["errors"]),
                         ["/events/search/properties/q/pattern", "/events/signup/properties/plan/oneOf",
                          "/unplanned"])
        self.assertEqual(self.call("GET", f"{base}/rules", self.alice)[2]["version"], 2)
        self.assertEqual(self.call("PUT", f"{base}/rules", self.alice, {"unplanned": "allow"})[0], 422)
        self.assertEqual(self.call("PUT", f"{base}/rules", self.alice, "[")[0], 400)


if __name__ == "__main__":
    unittest.main()
