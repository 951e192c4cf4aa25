"""Starts the real keel binary on a free loopback port with a temporary config and data dir, for e2e tests."""
import atexit
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

BINARY = os.environ.get("KEEL_BINARY", os.path.join(os.path.dirname(__file__), "../../build/release/keel"))

# Scaled mode: the directory of a running `keel cluster`. Each Keel gets a fresh database on its PostgreSQL,
# reached through pgBouncer in transaction mode, and its Redis as the KV store (keys prefixed per database);
# unset means embedded mode (SQLite, in-process KV).
CLUSTER_DIR = os.environ.get("KEEL_E2E_CLUSTER")


def cluster_settings():
    """The KEEL_* settings the cluster wrote for keel commands (database URLs, JWT secret)."""
    settings = {}
    with open(os.path.join(CLUSTER_DIR, "cluster.env")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key:
                settings[key] = value
    return settings


def with_database(url, name):
    """The same postgres:// URL naming another database."""
    return url.rsplit("/", 1)[0] + "/" + name


class PostgresDatabases:
    """Fresh databases for the tests of one process, all dropped when the process exits (a test may reopen a
    database after its first server stopped)."""

    def __init__(self):
        self.created = []

    def admin(self):
        import psycopg2
        connection = psycopg2.connect(cluster_settings()["KEEL_DATABASE_DIRECT_URL"])
        connection.autocommit = True  # CREATE and DROP DATABASE cannot run in a transaction
        return connection

    def create(self):
        name = "e2e_" + os.urandom(6).hex()
        admin = self.admin()
        try:
            admin.cursor().execute(f"CREATE DATABASE {name} TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
        finally:
            admin.close()
        if not self.created:
            atexit.register(self.drop_all)
        self.created.append(name)
        return name

    def drop_all(self):
        admin = self.admin()
        try:
            for name in self.created:
                # FORCE: pgBouncer still holds idle server connections to it.
                admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            admin.close()


DATABASES = PostgresDatabases()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


class Keel:
    """One keel serve process. Use as a context manager; config overrides are {"section.key": value}."""

    def __init__(self, config=None, env=None, command=("serve",), db_path=None):
        """command: ("serve",) or ("worker", "--queues", ...); db_path: share another process's database."""
        self.dir = tempfile.mkdtemp(prefix="keel-e2e-")
        self.port = free_port()
        self.command = list(command)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_") or k == "KEEL_BINARY"}
        settings = {
            "server.host": "127.0.0.1",
            "server.port": self.port,
            "server.io_threads": 2,
            "debug.routes": True,
            # Most suites register and log in at once; the OTP suite turns verification on.
            "auth.require_email_verification": False,
            # Suites that predict serve a model they trained; the others serve none, so /ready needs none.
            "ml.models": [],
        }
        if CLUSTER_DIR:
            # db_path names the database; a second process shares it.
            new_database = db_path is None
            self.db_path = db_path or DATABASES.create()
            cluster = cluster_settings()
            settings["database.url"] = with_database(cluster["KEEL_DATABASE_URL"], self.db_path)
            settings["database.direct_url"] = with_database(cluster["KEEL_DATABASE_DIRECT_URL"], self.db_path)
            # The cluster's Redis, with keys of their own per database: suites run side by side.
            settings["kv.url"] = cluster["KEEL_KV_URL"]
            settings["kv.key_prefix"] = self.db_path + ":"
            # In the file, so every keel command run with --config (users create, migrate) signs alike.
            settings["auth.jwt_secret"] = cluster["KEEL_AUTH_JWT_SECRET"]
        else:
            self.db_path = db_path or os.path.join(self.dir, "keel.db")
            settings["database.url"] = "sqlite://" + self.db_path
        settings.update(config or {})
        sections = {}
        for key, value in settings.items():
            section, name = key.split(".", 1)
            sections.setdefault(section, []).append(f"{name} = {toml_value(value)}")
        self.config_path = os.path.join(self.dir, "keel.toml")
        with open(self.config_path, "w") as f:
            for section, lines in sections.items():
                f.write(f"[{section}]\n" + "\n".join(lines) + "\n")
        self.env.update(env or {})
        self.log_path = os.path.join(self.dir, "keel.log")
        self.process = None
        if CLUSTER_DIR and new_database:
            self.migrate()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        code = self.stop()
        # A clean exit is part of every test: sanitizer reports and crashes at shutdown make it non-zero.
        if code != 0 and exc[0] is None:
            raise AssertionError(f"keel exited with {code}:\n{self.log()[-5000:]}")

    def migrate(self):
        """Scaled mode: `keel migrate` on the new database (serve migrates by itself only in embedded mode)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        migrated = subprocess.run([BINARY, "migrate", "--config", self.config_path], capture_output=True, text=True,
                                  env=env, cwd=self.dir, timeout=120)
        assert migrated.returncode == 0, migrated.stderr + migrated.stdout

    def start(self, timeout=20):
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen([BINARY, *self.command, "--config", self.config_path], cwd=self.dir,
                                        stdout=self.log_file, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log_file.close()
                raise RuntimeError(f"keel exited with {self.process.returncode}:\n{self.log()}")
            if self.command[0] == "worker":
                if "job workers started" in self.log():
                    return
                time.sleep(0.02)
                continue
            try:
                status, _, _ = self.request("GET", "/health", timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("keel did not answer /health in time:\n" + self.log())

    def send_signal(self, sig):
        self.process.send_signal(sig)

    def wait(self, timeout):
        return self.process.wait(timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process is None or self.process.poll() is not None:
            if self.process is not None and not self.log_file.closed:
                self.log_file.close()
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.log_file.close()

    def sql(self, query, params=()):
        """Rows of a query on this process's database (read-only, from the test); `?` placeholders."""
        if CLUSTER_DIR:
            import psycopg2
            db = psycopg2.connect(with_database(cluster_settings()["KEEL_DATABASE_DIRECT_URL"], self.db_path))
            try:
                cursor = db.cursor()
                cursor.execute(query.replace("?", "%s"), params)
                return cursor.fetchall()
            finally:
                db.close()
        import sqlite3
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute(query, params).fetchall()
        finally:
            db.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_records(self):
        records = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10):
        """One request on a fresh connection; returns (status, headers as a dict with lower-case names, body bytes)."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def socket(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def call(self, method, path, who=None, payload=None, timeout=10):
        """A JSON request; returns (status, parsed body or None). `who` is a dict of headers (a login)."""
        headers = dict(who or {})
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        status, _, data = self.request(method, path, body=body, headers=headers, timeout=timeout)
        return status, json.loads(data) if data else None

    def create_user(self, email, password, admin=False):
        """`keel users create` against this process's config and database."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        env["KEEL_USER_PASSWORD"] = password
        command = [BINARY, "users", "create", "--email", email, "--config", self.config_path]
        if admin:
            command.append("--admin")
        created = subprocess.run(command, capture_output=True, text=True, env=env, cwd=self.dir, timeout=60)
        assert created.returncode == 0, created.stderr
        return json.loads(created.stdout.strip().splitlines()[-1])

    def login(self, email, password):
        status, tokens = self.call("POST", "/api/v1/auth/login", payload={"email": email, "password": password})
        assert status == 200, tokens
        return {"Authorization": "Bearer " + tokens["access_token"]}


def wait_for(predicate, timeout=20, interval=0.05, what="condition"):
    """Polls predicate until it returns something true, and returns that; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def read_until_closed(sock, limit=1 << 20):
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(raw):
    """Status code of the first response in raw bytes."""
    return int(raw.split(b" ", 2)[1])
