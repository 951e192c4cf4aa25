"""End-to-end: `keel users create`, the admin user listing (cached, invalidated on change) and deactivation."""
import json
import os
import subprocess
import unittest

from keel import BINARY, Keel

CONFIG = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False}
PASSWORD = "correct horse battery"


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(CONFIG)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        created = subprocess.run([BINARY, "users", "create", "--email", "Root@Example.com", "--admin", "--config",
                                  cls.keel.config_path], input=PASSWORD + "\n", capture_output=True, text=True,
                                 env=env, cwd=cls.keel.dir, timeout=60)
        assert created.returncode == 0, created.stderr
        cls.created = json.loads(created.stdout.strip().splitlines()[-1])
        short = subprocess.run([BINARY, "users", "create", "--email", "x@example.com", "--config",
                                cls.keel.config_path], capture_output=True, text=True, timeout=60, cwd=cls.keel.dir,
                               env=dict(env, KEEL_USER_PASSWORD="short"))
        cls.short_password_code = short.returncode
        cls.keel.start()
        cls.admin = cls.login("root@example.com")

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    @classmethod
    def call(cls, method, path, who=None, payload=None):
        return cls.keel.call(method, path, who, payload)

    @classmethod
    def login(cls, email):
        status, tokens = cls.call("POST", "/api/v1/auth/login", payload={"email": email, "password": PASSWORD})
        assert status == 200, tokens
        return {"Authorization": "Bearer " + tokens["access_token"]}, tokens

    @classmethod
    def register(cls, email):
        status, user = cls.call("POST", "/api/v1/auth/register",
                                payload={"email": email, "password": PASSWORD, "name": email})
        assert status == 201, user
        return user

    def test_cli_created_an_admin_and_refuses_short_passwords(self):
        self.assertEqual(self.created["role"], "admin")
        self.assertEqual(self.created["email"], "root@example.com")
        self.assertNotEqual(self.short_password_code, 0)

    def test_listing_is_admin_only_and_sees_changes_at_once(self):
        admin, _ = self.admin
        status, page = self.call("GET", "/api/v1/admin/users?per_page=100", admin)
        self.assertEqual(status, 200)
        before = page["total"]
        user = self.register("listed@example.com")
        status, page = self.call("GET", "/api/v1/admin/users?per_page=100", admin)
        self.assertEqual(page["total"], before + 1)
        self.assertIn(user["id"], [u["id"] for u in page["items"]])
        self.assertTrue(all("password_hash" not in u for u in page["items"]))
        member, _ = self.login("listed@example.com")
        self.assertEqual(self.call("GET", "/api/v1/admin/users", member)[0], 403)
        self.assertEqual(self.call("GET", "/api/v1/admin/users?per_page=0", admin)[0], 422)

    def test_deactivated_users_tokens_stop_at_the_next_request(self):
        admin, _ = self.admin
        user = self.register("leaver@example.com")
        headers, tokens = self.login("leaver@example.com")
        self.assertEqual(self.call("GET", "/api/v1/auth/me", headers)[0], 200)
        status, changed = self.call("PATCH", f"/api/v1/admin/users/{user['id']}", admin, {"active": False})
        self.assertEqual((status, changed["active"]), (200, False))
        self.assertEqual(self.call("GET", "/api/v1/auth/me", headers)[0], 401)
        self.assertEqual(self.call("POST", "/api/v1/auth/refresh",
                                   payload={"refresh_token": tokens["refresh_token"]})[0], 401)
        self.assertEqual(self.call("POST", "/api/v1/auth/login",
                                   payload={"email": "leaver@example.com", "password": PASSWORD})[0], 401)

    def test_promotion_takes_effect_at_once(self):
        admin, _ = self.admin
        user = self.register("promoted@example.com")
        headers, _ = self.login("promoted@example.com")
        self.assertEqual(self.call("GET", "/api/v1/admin/users", headers)[0], 403)
        self.call("PATCH", f"/api/v1/admin/users/{user['id']}", admin, {"role": "admin"})
        self.assertEqual(self.call("GET", "/api/v1/admin/users", headers)[0], 200)

    def test_bad_updates(self):
        admin, _ = self.admin
        user = self.register("target@example.com")
        status, problem = self.call("PATCH", f"/api/v1/admin/users/{user['id']}", admin,
                                    {"role": "root", "active": "yes", "email": "x"})
        self.assertEqual(status, 422)
        self.assertEqual(sorted(e["field"] for e in problem["errors"]), ["active", "email", "role"])
        self.assertEqual(self.call("PATCH", "/api/v1/admin/users/nope", admin, {"active": True})[0], 404)

    def test_admin_lists_another_users_tasks(self):
        admin, _ = self.admin
        user = self.register("owner@example.com")
        owner, _ = self.login("owner@example.com")
        self.call("POST", "/api/v1/tasks", owner, {"title": "theirs"})
        status, page = self.call("GET", f"/api/v1/tasks?user_id={user['id']}", admin)
        self.assertEqual((status, [t["title"] for t in page["items"]]), (200, ["theirs"]))


if __name__ == "__main__":
    unittest.main()
