"""The seed's own load test (seed 002, "Load Testing Script"): login 20, register 10, logs 40, dashboard 30.

Each simulated user signs up the way a person does: registers, reads the code mailed to it (the outbox, through
an administrator's token: the benchmark has no mailbox), verifies its address, logs in, and registers an app;
then it runs the seed's mix. Every user speaks from an address of its own (X-Forwarded-For, which Keel believes
from 127.0.0.1 in this run), so the seed's per-IP rate limits apply as they would to real users.

Run by bench/run-locust.sh, which starts Keel and sets KEEL_BENCH_ADMIN_TOKEN.
"""
import itertools
import json
import os
import re
import time

from locust import HttpUser, constant_throughput, task

PASSWORD = "correct horse battery staple"
ADMIN = {"Authorization": f"Bearer {os.environ.get('KEEL_BENCH_ADMIN_TOKEN', '')}"}
# Requests per second per user: run-locust.sh sets it so that all users together make the target rate.
PER_USER_RATE = float(os.environ.get("KEEL_BENCH_USER_RATE", "0.8"))
numbers = itertools.count(1)

RULES = {"events": {
    "signup": {"type": "object", "required": ["plan"], "properties": {"plan": {"enum": ["free", "pro"]}}},
    "page_view": {"type": "object", "required": ["path"], "properties": {"path": {"type": "string"}}},
}, "unplanned": "flag"}


class DashboardUser(HttpUser):
    wait_time = constant_throughput(PER_USER_RATE)

    def on_start(self):
        n = next(numbers)
        self.address = {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
        self.email = f"user{n}-{os.getpid()}@example.com"
        self.post("/api/v1/auth/register", {"email": self.email, "password": PASSWORD, "name": f"User {n}"},
                  name="sign-up: register")
        code = self.mailed_code(self.email)
        self.post("/api/v1/auth/verify", {"email": self.email, "otp": code}, name="sign-up: verify")
        self.token = self.post("/api/v1/auth/login", {"email": self.email, "password": PASSWORD},
                               name="sign-up: login")["access_token"]
        app = self.post("/api/v1/apps", {"name": f"app {n}", "mode": "flag"}, name="sign-up: app", auth=True)
        self.post(f"/api/v1/apps/{app['id']}/rules", RULES, name="sign-up: rules", auth=True, method="PUT")
        self.ingest_key = app["ingest_key"]
        self.sent = 0

    def headers(self, auth=False):
        headers = {"Content-Type": "application/json", **self.address}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def post(self, path, payload, name, auth=False, method="POST"):
        with self.client.request(method, path, data=json.dumps(payload), headers=self.headers(auth), name=name,
                                 catch_response=True) as response:
            if response.status_code >= 300:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                raise RuntimeError(f"{name}: {response.status_code}")
            return response.json() if response.text else None

    def mailed_code(self, email):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            response = self.client.get(f"/api/v1/admin/outbox?to={email}", headers=ADMIN, name="(harness) outbox")
            items = response.json().get("items", []) if response.status_code == 200 else []
            for mail in items:
                found = re.search(r"code is (\d{6})", mail.get("text", ""))
                if found:
                    return found.group(1)
            time.sleep(0.2)
        raise RuntimeError(f"no code mailed to {email}")

    @task(20)
    def login(self):
        self.client.post("/api/v1/auth/login", data=json.dumps({"email": self.email, "password": PASSWORD}),
                         headers=self.headers(), name="/auth/login")

    @task(10)
    def register(self):
        n = next(numbers)
        self.client.post("/api/v1/auth/register",
                         data=json.dumps({"email": f"visitor{n}-{os.getpid()}@example.com", "password": PASSWORD,
                                          "name": "Visitor"}),
                         headers=self.headers(), name="/auth/register")

    @task(40)
    def logs(self):
        self.sent += 1
        event = ({"event": "page_view", "user_id": self.email, "properties": {"path": f"/p/{self.sent}"}}
                 if self.sent % 4 else {"event": "signup", "properties": {"plan": "gold"}})
        self.client.post("/api/v1/logs", data=json.dumps(event),
                         headers={**self.headers(), "Authorization": f"Bearer {self.ingest_key}"}, name="/api/logs")

    @task(30)
    def dashboard(self):
        self.client.get("/api/v1/dashboard", headers=self.headers(auth=True), name="/dashboard")
