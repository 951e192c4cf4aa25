"""`keel cluster` for e2e tests: the real scaled-out topology (PostgreSQL, pgBouncer, Redis, keel instances and
workers, nginx) under a temporary directory, with helpers to reach each process."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile

import openapi_check
from keel import BINARY, toml_value


# The Redis topology every Cluster of this run gets: single, cluster or sentinel (`keel cluster up --redis`).
REDIS = os.environ.get("KEEL_E2E_REDIS", "single")


class Cluster:
    def __init__(self, instances=2, workers=1, config=None, redis=None):
        self.dir = tempfile.mkdtemp(prefix="keel-cluster-")
        os.chmod(self.dir, 0o755)  # the servers run as postgres and nobody
        self.instances = instances
        self.workers = workers
        self.redis = redis or REDIS
        sections = {}
        for key, value in (config or {}).items():
            section, name = key.split(".", 1)
            sections.setdefault(section, []).append(f"{name} = {toml_value(value)}")
        self.config_path = os.path.join(self.dir, "keel.toml")
        with open(self.config_path, "w") as f:
            for section, lines in sections.items():
                f.write(f"[{section}]\n" + "\n".join(lines) + "\n")

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, *args, timeout=120, env=None):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout,
                              env={k: v for k, v in os.environ.items() if not k.startswith("KEEL_")} | (env or {}),
                              cwd=self.dir)

    def up(self):
        started = self.run("cluster", "up", "--dir", self.dir, "--instances", str(self.instances), "--workers",
                           str(self.workers), "--port", "0", "--rate", "100000", "--burst", "100000", "--config",
                           self.config_path, "--redis", self.redis)
        if started.returncode != 0:
            raise RuntimeError(f"keel cluster up failed:\n{started.stdout}\n{started.stderr}\n{self.logs()}")
        self.reload()
        # Every answer request() returns is checked against the document the cluster serves.
        self.api = openapi_check.load_document(self.nginx_port)

    def down(self):
        stopped = self.run("cluster", "down", "--dir", self.dir)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        return stopped.stdout

    def reload(self):
        with open(os.path.join(self.dir, "cluster.json")) as f:
            self.state = json.load(f)
        self.settings = {}
        with open(os.path.join(self.dir, "cluster.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key:
                    self.settings[key] = value

    def process(self, name):
        return next(p for p in self.state["processes"] if p["name"] == name)

    @property
    def nginx_port(self):
        return self.process("nginx")["port"]

    def api_port(self, i):
        return self.process(f"api-{i}")["port"]

    def logs(self):
        out = []
        log_dir = os.path.join(self.dir, "log")
        for name in sorted(os.listdir(log_dir)) if os.path.isdir(log_dir) else []:
            with open(os.path.join(log_dir, name), errors="replace") as f:
                out.append(f"== {name}\n{f.read()[-3000:]}")
        return "\n".join(out)

    def keel(self, *args, env=None):
        """A keel command against the cluster's database and Redis (as `set -a; . cluster.env` would)."""
        return self.run(*args, "--config", self.config_path, env=self.settings | (env or {}))

    def sql(self, query, params=()):
        import psycopg2
        db = psycopg2.connect(self.settings["KEEL_DATABASE_DIRECT_URL"])
        try:
            cursor = db.cursor()
            cursor.execute(query.replace("?", "%s"), params)
            return cursor.fetchall()
        finally:
            db.close()

    def request(self, port, method, path, body=None, headers=None, timeout=10):
        """(status, headers with lower-case names, body bytes); AssertionError when the OpenAPI document does not
        declare the answer (as Keel.request)."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            answer = response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()
        self.api.check(method, path, *answer)
        return answer

    def call(self, port, method, path, who=None, payload=None):
        headers = dict(who or {})
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        status, headers, data = self.request(port, method, path, body, headers)
        return status, headers, json.loads(data) if data else None
