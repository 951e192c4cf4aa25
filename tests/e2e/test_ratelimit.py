"""End-to-end: GCRA rate limits per IP, per user and per account, their headers, and trusted proxies."""
import json
import unittest

from keel import Keel

FAST_HASH = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1}


def limited_get(keel, headers=None):
    return keel.request("GET", "/api/v1/debug/sleep?ms=0", headers=headers or {})


class RateLimitTest(unittest.TestCase):
    def test_burst_then_429_with_headers_and_ops_routes_exempt(self):
        with Keel({"ratelimit.api_per_minute": 60, "ratelimit.api_burst": 3}) as keel:
            remaining = []
            for _ in range(3):
                status, headers, _ = limited_get(keel)
                self.assertEqual(status, 200)
                self.assertEqual(headers["ratelimit-limit"], "60")
                remaining.append(int(headers["ratelimit-remaining"]))
                self.assertGreaterEqual(int(headers["ratelimit-reset"]), 1)
            self.assertEqual(remaining, [2, 1, 0])
            status, headers, body = limited_get(keel)
            self.assertEqual(status, 429)
            self.assertEqual(headers["content-type"], "application/problem+json")
            self.assertEqual(json.loads(body)["status"], 429)
            self.assertGreaterEqual(int(headers["retry-after"]), 1)
            self.assertEqual(headers["ratelimit-remaining"], "0")
            status, headers, _ = keel.request("GET", "/health")
            self.assertEqual(status, 200)
            self.assertNotIn("ratelimit-limit", headers)
            self.assertEqual(keel.metric('keel_ratelimit_rejections_total{policy="api"}'), 1)

    def test_clients_cannot_pick_their_address(self):
        # One process spoken to directly: behind nginx on loopback the test client is itself a trusted proxy.
        with Keel({"ratelimit.api_burst": 2}, instances=1) as keel:
            statuses = [limited_get(keel, {"X-Forwarded-For": f"198.51.100.{i}"})[0] for i in range(4)]
            self.assertEqual(statuses, [200, 200, 429, 429])

    def test_trusted_proxy_forwards_the_client_address(self):
        with Keel({"ratelimit.api_burst": 2, "server.trusted_proxies": ["127.0.0.1"]}, instances=1) as keel:
            statuses = [limited_get(keel, {"X-Forwarded-For": "198.51.100.1"})[0] for _ in range(3)]
            self.assertEqual(statuses, [200, 200, 429])
            self.assertEqual(limited_get(keel, {"X-Forwarded-For": "198.51.100.2"})[0], 200)

    def test_trusted_networks_and_entries_that_are_no_address(self):
        with Keel({"ratelimit.api_burst": 2, "server.trusted_proxies": ["127.0.0.0/8"]}, instances=1) as keel:
            statuses = [limited_get(keel, {"X-Forwarded-For": "198.51.100.1"})[0] for _ in range(3)]
            self.assertEqual(statuses, [200, 200, 429])
        # Refused at start (scaled mode: already by `keel migrate`, which builds the same App).
        with self.assertRaises((RuntimeError, AssertionError)) as failure:
            Keel({"server.trusted_proxies": ["127.0.0.1", "nginx"]}, instances=1).start(timeout=5)
        self.assertRegex(str(failure.exception), r'server.trusted_proxies: \\?"nginx\\?" is not an IP address')

    def test_per_user_and_per_account_limits(self):
        config = dict(FAST_HASH, **{"ratelimit.user_burst": 2, "ratelimit.login_burst": 3,
                                    "ratelimit.login_per_hour": 50})
        with Keel(config) as keel:
            account = {"email": "rl@example.com", "password": "correct horse battery", "name": "R"}
            keel.request("POST", "/api/v1/auth/register", body=json.dumps(account),
                         headers={"Content-Type": "application/json"})
            login = json.dumps({"email": account["email"], "password": account["password"]})
            statuses = []
            token = None
            for _ in range(4):
                status, headers, body = keel.request("POST", "/api/v1/auth/login", body=login,
                                                     headers={"Content-Type": "application/json"})
                statuses.append(status)
                if status == 200:
                    token = json.loads(body)["access_token"]
            self.assertEqual(statuses, [200, 200, 200, 429])
            # The refusal speaks of the limit that refused it (the account's), not of the address's.
            self.assertEqual(headers["ratelimit-limit"], "50")
            self.assertEqual(headers["ratelimit-remaining"], "0")
            self.assertIn("retry-after", headers)
            status, _, key = keel.request("POST", "/api/v1/auth/api-keys", body=json.dumps({"name": "svc"}),
                                          headers={"Content-Type": "application/json",
                                                   "Authorization": f"Bearer {token}"})
            self.assertEqual(status, 201)
            me = [keel.request("GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})[0]
                  for _ in range(2)]
            self.assertEqual(me, [200, 429])  # the key's creation spent one of the user's two
            # The API key has a budget of its own.
            api_key = json.loads(key)["key"]
            via_key = [keel.request("GET", "/api/v1/auth/me", headers={"Authorization": f"Bearer {api_key}"})[0]
                       for _ in range(3)]
            self.assertEqual(via_key, [200, 200, 429])

    def test_switched_off(self):
        with Keel({"ratelimit.enabled": False, "ratelimit.api_burst": 1}) as keel:
            for _ in range(5):
                status, headers, _ = limited_get(keel)
                self.assertEqual(status, 200)
                self.assertNotIn("ratelimit-limit", headers)


if __name__ == "__main__":
    unittest.main()
