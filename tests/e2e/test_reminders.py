"""End-to-end: a task with a due date gets a reminder e-mail an hour before it; moving the due date moves the
reminder, finishing or deleting the task cancels it."""
import json
import time
import unittest

from keel import Keel

FAST = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
        "jobs.poll_interval_ms": 50}
PASSWORD = "correct horse battery"


def iso(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + seconds_from_now))


def parse_ms(text):
    return int(time.mktime(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 1000


class ReminderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(FAST)
        cls.keel.start()
        cls.keel.create_user("root@example.com", PASSWORD, admin=True)
        cls.keel.create_user("owner@example.com", PASSWORD)
        cls.keel.create_user("other@example.com", PASSWORD)
        cls.admin = cls.keel.login("root@example.com", PASSWORD)
        cls.owner = cls.keel.login("owner@example.com", PASSWORD)
        cls.other = cls.keel.login("other@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def reminders(self, task_id, with_ids=False):
        rows = self.keel.sql("SELECT state, run_at, args, id FROM jobs WHERE kind = 'tasks.reminder' ORDER BY id")
        found = [(state, run_at, job_id) for state, run_at, args, job_id in rows if json.loads(args)["task_id"] == task_id]
        return found if with_ids else [(state, run_at) for state, run_at, _ in found]

    def create(self, title, due_at):
        status, task = self.keel.call("POST", "/api/v1/tasks", self.owner, {"title": title, "due_at": due_at})
        self.assertEqual(status, 201, task)
        return task

    def test_a_task_due_within_the_hour_is_mailed_at_once(self):
        self.create("pay rent", iso(1800))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            _, page = self.keel.call("GET", "/api/v1/admin/outbox?to=owner@example.com", self.admin)
            if any(m["subject"] == "Reminder: pay rent" for m in page["items"]):
                break
            time.sleep(0.05)
        else:
            self.fail("no reminder mail")

    def test_moving_finishing_and_deleting_a_task_moves_and_cancels_its_reminder(self):
        due = iso(3 * 3600)
        task = self.create("write report", due)
        [(state, run_at, job_id)] = self.reminders(task["id"], with_ids=True)
        self.assertEqual(state, "scheduled")
        # The reminder job is the task owner's to read; another user gets 404.
        status, job = self.keel.call("GET", f"/api/v1/jobs/{job_id}", self.owner)
        self.assertEqual((status, job["state"], job["kind"]), (200, "scheduled", "tasks.reminder"))
        self.assertEqual(self.keel.call("GET", f"/api/v1/jobs/{job_id}", self.other)[0], 404)
        self.assertAlmostEqual(run_at, parse_ms(due) - 3600 * 1000, delta=1000)

        later = iso(5 * 3600)
        status, task = self.keel.call("PATCH", f"/api/v1/tasks/{task['id']}", self.owner, {"due_at": later})
        self.assertEqual(status, 200, task)
        states = self.reminders(task["id"])
        self.assertEqual([s for s, _ in states], ["cancelled", "scheduled"])
        self.assertAlmostEqual(states[1][1], parse_ms(later) - 3600 * 1000, delta=1000)

        status, task = self.keel.call("PATCH", f"/api/v1/tasks/{task['id']}", self.owner, {"status": "done"})
        self.assertEqual(status, 200, task)
        self.assertEqual([s for s, _ in self.reminders(task["id"])], ["cancelled", "cancelled"])

        other = self.create("call back", iso(4 * 3600))
        self.assertEqual(self.keel.call("DELETE", f"/api/v1/tasks/{other['id']}", self.owner)[0], 204)
        self.assertEqual([s for s, _ in self.reminders(other["id"])], ["cancelled"])

    def test_a_task_without_a_due_date_has_no_reminder(self):
        status, task = self.keel.call("POST", "/api/v1/tasks", self.owner, {"title": "someday"})
        self.assertEqual(status, 201)
        self.assertEqual(self.reminders(task["id"]), [])


if __name__ == "__main__":
    unittest.main()
