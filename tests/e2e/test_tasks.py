"""End-to-end: the Task API through HTTP: CRUD, ownership, pagination, filters, sorting, ETags, bad input."""
import json
import unittest

from keel import Keel

CONFIG = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False}


class TasksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(CONFIG).__enter__()
        cls.alice = cls.account("alice@example.com")
        cls.bob = cls.account("bob@example.com")

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    @classmethod
    def account(cls, email):
        body = {"email": email, "password": "correct horse battery", "name": email.split("@")[0]}
        cls.keel.request("POST", "/api/v1/auth/register", body=json.dumps(body),
                         headers={"Content-Type": "application/json"})
        _, _, tokens = cls.keel.request("POST", "/api/v1/auth/login", body=json.dumps(
            {"email": email, "password": body["password"]}), headers={"Content-Type": "application/json"})
        return {"Authorization": "Bearer " + json.loads(tokens)["access_token"]}

    def call(self, method, path, who, payload=None, headers=None):
        body = None if payload is None else (payload if isinstance(payload, str) else json.dumps(payload))
        all_headers = dict(who, **(headers or {}))
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        status, response_headers, data = self.keel.request(method, path, body=body, headers=all_headers)
        return status, response_headers, json.loads(data) if data else None

    def test_create_read_update_delete(self):
        status, headers, task = self.call("POST", "/api/v1/tasks", self.alice,
                                          {"title": "Ship Keel", "priority": "high", "due_at": "2026-12-24T18:00:00+01:00"})
        self.assertEqual(status, 201, task)
        self.assertEqual(headers["location"], f"/api/v1/tasks/{task['id']}")
        self.assertEqual(task["status"], "todo")
        self.assertEqual(task["due_at"], "2026-12-24T17:00:00.000Z")
        etag = headers["etag"]
        status, headers, fetched = self.call("GET", f"/api/v1/tasks/{task['id']}", self.alice)
        self.assertEqual((status, fetched["title"], headers["etag"]), (200, "Ship Keel", etag))
        self.assertEqual(self.call("GET", f"/api/v1/tasks/{task['id']}", self.alice,
                                   headers={"If-None-Match": etag})[0], 304)
        status, headers, patched = self.call("PATCH", f"/api/v1/tasks/{task['id']}", self.alice,
                                             {"status": "done", "due_at": None}, {"If-Match": etag})
        self.assertEqual(status, 200, patched)
        self.assertEqual((patched["status"], patched["due_at"], patched["title"]), ("done", None, "Ship Keel"))
        self.assertNotEqual(headers["etag"], etag)
        # A write based on the old version is refused and changes nothing.
        status, _, problem = self.call("PATCH", f"/api/v1/tasks/{task['id']}", self.alice,
                                       {"title": "Stale"}, {"If-Match": etag})
        self.assertEqual(status, 412, problem)
        self.assertEqual(self.call("GET", f"/api/v1/tasks/{task['id']}", self.alice)[2]["title"], "Ship Keel")
        self.assertEqual(self.call("DELETE", f"/api/v1/tasks/{task['id']}", self.alice)[0], 204)
        self.assertEqual(self.call("GET", f"/api/v1/tasks/{task['id']}", self.alice)[0], 404)

    def test_other_users_tasks_are_not_found(self):
        _, _, task = self.call("POST", "/api/v1/tasks", self.alice, {"title": "Private"})
        for method, payload in (("GET", None), ("PATCH", {"title": "Mine now"}), ("DELETE", None)):
            status, _, problem = self.call(method, f"/api/v1/tasks/{task['id']}", self.bob, payload)
            self.assertEqual(status, 404, method)
        self.assertEqual(self.call("GET", f"/api/v1/tasks/{task['id']}", self.alice)[2]["title"], "Private")
        _, _, listing = self.call("GET", "/api/v1/tasks?per_page=100", self.bob)
        self.assertNotIn(task["id"], [t["id"] for t in listing["items"]])
        status, _, _ = self.call("GET", "/api/v1/tasks?user_id=" + task["user_id"], self.bob)
        self.assertEqual(status, 403)

    def test_pagination_filters_and_sorting(self):
        carol = self.account("carol@example.com")
        priorities = ["low", "medium", "high"]
        for i in range(25):
            self.call("POST", "/api/v1/tasks", carol, {"title": f"t{i:02}", "priority": priorities[i % 3],
                                                       "status": "done" if i % 5 == 0 else "todo"})
        status, headers, page1 = self.call("GET", "/api/v1/tasks?per_page=10", carol)
        self.assertEqual((status, page1["total"], page1["page"], page1["per_page"], len(page1["items"])),
                         (200, 25, 1, 10, 10))
        # Newest first by default. Tasks created within one millisecond tie on created_at, and ties go by id (a
        # random one): the newest title is among the first page's newest timestamps, not always first.
        stamps = [t["created_at"] for t in page1["items"]]
        self.assertEqual(stamps, sorted(stamps, reverse=True))
        self.assertIn("t24", [t["title"] for t in page1["items"] if t["created_at"] == stamps[0]])
        self.assertIn('rel="next"', headers["link"])
        self.assertNotIn('rel="prev"', headers["link"])
        _, headers, page3 = self.call("GET", "/api/v1/tasks?per_page=10&page=3", carol)
        self.assertEqual(len(page3["items"]), 5)
        self.assertIn('rel="prev"', headers["link"])
        _, _, done = self.call("GET", "/api/v1/tasks?status=done", carol)
        self.assertEqual(done["total"], 5)
        self.assertTrue(all(t["status"] == "done" for t in done["items"]))
        _, _, high_first = self.call("GET", "/api/v1/tasks?sort=priority&order=desc&per_page=100", carol)
        ranks = [priorities.index(t["priority"]) for t in high_first["items"]]
        self.assertEqual(ranks, sorted(ranks, reverse=True))
        _, _, beyond = self.call("GET", "/api/v1/tasks?page=9", carol)
        self.assertEqual((beyond["items"], beyond["total"]), ([], 25))

    def test_cached_list_pages_follow_every_write(self):
        erin = self.account("erin@example.com")
        self.assertEqual(self.call("GET", "/api/v1/tasks", erin)[2]["total"], 0)  # cached empty page
        _, _, task = self.call("POST", "/api/v1/tasks", erin, {"title": "first"})
        self.assertEqual(self.call("GET", "/api/v1/tasks", erin)[2]["total"], 1)
        self.assertEqual(self.call("GET", "/api/v1/tasks?status=done", erin)[2]["total"], 0)
        self.call("PATCH", f"/api/v1/tasks/{task['id']}", erin, {"status": "done"})
        self.assertEqual(self.call("GET", "/api/v1/tasks?status=done", erin)[2]["total"], 1)
        self.assertEqual(self.call("GET", "/api/v1/tasks", erin)[2]["items"][0]["status"], "done")
        self.call("DELETE", f"/api/v1/tasks/{task['id']}", erin)
        self.assertEqual(self.call("GET", "/api/v1/tasks", erin)[2]["total"], 0)

    def test_bad_input_is_422_per_field_and_writes_nothing(self):
        dave = self.account("dave@example.com")
        status, _, problem = self.call("POST", "/api/v1/tasks", dave, '{"title": "x",')
        self.assertEqual(status, 400)  # not JSON
        cases = [
            ('{"title": "x", "title": "y"}', ["title"]),  # a key twice: refused, not "last one wins"
            ('{"title": "x", "priority": 1e400}', ["priority"]),  # valid JSON, beyond a double
            ({"title": "", "status": "doing"}, ["status", "title"]),
            ({"title": "x" * 201, "priority": 1, "due_at": "2026-02-30T00:00:00Z"}, ["due_at", "priority", "title"]),
            ({"title": "ok", "user_id": "someone-else"}, ["user_id"]),
            ({"title": "ok", "description": "d" * 10001}, ["description"]),
        ]
        for payload, fields in cases:
            status, _, problem = self.call("POST", "/api/v1/tasks", dave, payload)
            self.assertEqual(status, 422, payload)
            self.assertEqual(sorted(e["field"] for e in problem["errors"]), fields, payload)
            self.assertEqual(sorted(e["pointer"] for e in problem["errors"]), ["/" + f for f in fields], payload)
        status, _, problem = self.call("GET", "/api/v1/tasks?per_page=500&sort=title", dave)
        self.assertEqual(status, 422)
        self.assertEqual(sorted(e["field"] for e in problem["errors"]), ["per_page", "sort"])
        self.assertEqual(self.call("GET", "/api/v1/tasks", dave)[2]["total"], 0)

    def test_sql_metacharacters_round_trip(self):
        title = "x'); DELETE FROM tasks; -- \" % _ \\"
        _, _, task = self.call("POST", "/api/v1/tasks", self.alice, {"title": title, "description": "' OR '1'='1"})
        fetched = self.call("GET", f"/api/v1/tasks/{task['id']}", self.alice)[2]
        self.assertEqual((fetched["title"], fetched["description"]), (title, "' OR '1'='1"))

    def test_requires_authentication(self):
        status, headers, _ = self.call("GET", "/api/v1/tasks", {})
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], "Bearer")


if __name__ == "__main__":
    unittest.main()
