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

import openapi_check

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


class PortTaken(RuntimeError):
    """keel exited because its port was taken."""


class KeelProcess:
    """One keel process (serve or worker) with its port, environment and log file."""

    def __init__(self, argv, cwd, env, port, log_path):
        self.argv, self.cwd, self.env, self.port, self.log_path = argv, cwd, env, port, log_path
        self.process = None
        self.log_file = None

    def start(self, timeout):
        # free_port() only finds a port free a moment ago; another suite's server may have taken it since, and
        # this one then refuses it. Try another.
        for attempt in range(3):
            try:
                return self.start_once(timeout)
            except PortTaken:
                if self.argv[1] != "serve" or attempt == 2:
                    raise
                self.port = free_port()
                self.env = dict(self.env, KEEL_SERVER_PORT=str(self.port))

    def start_once(self, timeout):
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.argv, cwd=self.cwd, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log_file.close()
                log = self.log()
                if "cannot listen" in log:
                    raise PortTaken(log)
                raise RuntimeError(f"keel exited with {self.process.returncode}:\n{log}")
            if self.argv[1] == "worker":
                if "job workers started" in self.log():
                    return
            # Its own log first: a port another test's server shares (SO_REUSEPORT after a free_port() collision)
            # answers /health for it while this one exits refusing the port.
            elif self.listening() and http_status(self.port, "/health") == 200:
                return
            time.sleep(0.02)
        self.process.kill()
        self.finish(10)
        raise RuntimeError("keel did not answer /health in time:\n" + self.log())

    def listening(self):
        """Whether this process logged that it listens on its port."""
        return any('"message":"listening"' in line and f'"port":{self.port},' in line
                   for line in self.log().splitlines())

    def running(self):
        return self.process is not None and self.process.poll() is None

    def finish(self, timeout):
        """Waits for the exit a signal asked for; kills the process if it does not come in time."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.log_file.close()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def http_status(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


class Keel:
    """keel serve (or worker) for one test. Use as a context manager; config overrides are {"section.key": value}.

    Embedded mode: one process on SQLite. Scaled mode (KEEL_E2E_CLUSTER): `instances` processes (2 for serve by
    default) on a fresh PostgreSQL database and Redis, behind nginx started by `keel cluster front` from the same
    template `keel cluster up` uses; `port` is nginx's, so consecutive requests go to different instances. Suites
    about one process's own behaviour (HTTP parsing, signals) pass instances=1 and speak to it directly."""

    def __init__(self, config=None, env=None, command=("serve",), db_path=None, instances=None):
        """command: ("serve",) or ("worker", "--queues", ...); db_path: share another process's database."""
        self.dir = tempfile.mkdtemp(prefix="keel-e2e-")
        self.command = list(command)
        if instances is None:
            instances = 2 if CLUSTER_DIR and self.command[0] == "serve" else 1
        assert instances == 1 or (CLUSTER_DIR and self.command[0] == "serve"), "several instances: scaled serve only"
        ports = [free_port() for _ in range(instances)]
        self.port = ports[0]  # nginx's once it runs
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
        argv = [BINARY, *self.command, "--config", self.config_path]
        self.processes = []
        for i, port in enumerate(ports, start=1):
            process_env = dict(self.env)
            if instances > 1:
                # As `keel cluster up` starts its instances: each names itself, and believes nginx's
                # X-Forwarded-For (unless the test configures proxies itself).
                process_env["KEEL_SERVER_PORT"] = str(port)
                process_env["KEEL_SERVER_INSTANCE_ID"] = f"api-{i}"
                if "server.trusted_proxies" not in settings:
                    process_env["KEEL_SERVER_TRUSTED_PROXIES"] = "127.0.0.1"
            log_path = os.path.join(self.dir, "keel.log" if i == 1 else f"keel-{i}.log")
            self.processes.append(KeelProcess(argv, self.dir, process_env, port, log_path))
        self.front_dir = None
        # The OpenAPI document this Keel serves, read once it started: every answer request() returns is
        # checked against it (openapi_check.py).
        self.api = None
        if instances > 1:
            self.front_dir = tempfile.mkdtemp(prefix="keel-e2e-front-")
            os.chmod(self.front_dir, 0o755)  # nginx's workers run as nobody
        if CLUSTER_DIR and new_database:
            self.migrate()

    @property
    def process(self):
        """The (first) keel process's Popen."""
        return self.processes[0].process

    @property
    def log_path(self):
        return self.processes[0].log_path

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
        try:
            for process in self.processes:
                process.start(timeout)
            self.port = self.processes[0].port  # it may have moved; nginx's replaces it below
            if self.front_dir:
                self.start_front()
            if self.command[0] == "serve":
                self.api = openapi_check.load_document(self.port)
        except BaseException:
            self.stop()  # what did start: a failed start leaves no process behind
            raise

    def start_front(self):
        """nginx in front of the instances (`keel cluster front`); its port is this Keel's port."""
        command = [BINARY, "cluster", "front", "--dir", self.front_dir, "--port", "0", "--rate", "1000000",
                   "--burst", "1000000"]
        for process in self.processes:
            command += ["--api-port", str(process.port)]
        started = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                 env={k: v for k, v in os.environ.items() if not k.startswith("KEEL_")})
        if started.returncode != 0:
            raise RuntimeError(f"keel cluster front failed:\n{started.stdout}\n{started.stderr}")
        with open(os.path.join(self.front_dir, "cluster.json")) as f:
            self.port = next(p["port"] for p in json.load(f)["processes"] if p["name"] == "nginx")

    def stop_front(self):
        stopped = subprocess.run([BINARY, "cluster", "down", "--dir", self.front_dir], capture_output=True,
                                 text=True, timeout=60,
                                 env={k: v for k, v in os.environ.items() if not k.startswith("KEEL_")})
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr

    def send_signal(self, sig):
        for process in self.processes:
            process.process.send_signal(sig)

    def wait(self, timeout):
        """Waits for the exit a signal sent with send_signal asked for; the first non-zero exit code, or 0."""
        codes = [process.finish(timeout) for process in self.processes]
        return next((code for code in codes if code != 0), 0)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops nginx, then every instance at once; returns the first non-zero exit code (0 when all exit
        cleanly), or None when nothing was started."""
        try:
            if self.front_dir:
                self.stop_front()
        finally:
            running = [process for process in self.processes if process.running()]
            for process in running:
                process.process.send_signal(sig)
            for process in self.processes:
                if process.process is not None and process not in running and not process.log_file.closed:
                    process.log_file.close()
            codes = []
            for process in running:
                try:
                    codes.append(process.finish(timeout))
                except subprocess.TimeoutExpired:
                    codes.append("killed after a timeout")  # finish killed it; the others still get stopped
        codes += [process.process.returncode for process in self.processes
                  if process.process is not None and process not in running]
        if not codes:
            return None
        return next((code for code in codes if code != 0), 0)

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

    def row_is_free(self, table, row_id):
        """True when the row can be written at once: no other process holds a lock on it. A process stopped
        (SIGSTOP) inside a transaction keeps its locks — SQLite's single writer lock, PostgreSQL's row locks."""
        if CLUSTER_DIR:
            import psycopg2
            db = psycopg2.connect(with_database(cluster_settings()["KEEL_DATABASE_DIRECT_URL"], self.db_path))
            try:
                cursor = db.cursor()
                cursor.execute("SET lock_timeout = '300ms'")
                cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", (row_id,))
                return True
            except psycopg2.errors.LockNotAvailable:
                return False
            finally:
                db.rollback()
                db.close()
        import sqlite3
        db = sqlite3.connect(self.db_path, timeout=0.3, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # database is locked
            return False
        finally:
            db.close()

    def log(self):
        """Every instance's log, one after the other."""
        return "".join(process.log() for process in self.processes)

    def each(self, method, path, headers=None):
        """The same request to every instance directly (not through nginx): [(status, body bytes)], each answer
        checked against the OpenAPI document."""
        answers = []
        for process in self.processes:
            conn = http.client.HTTPConnection("127.0.0.1", process.port, timeout=10)
            try:
                conn.request(method, path, headers=headers or {})
                response = conn.getresponse()
                data = response.read()
                self.check_answer(method, path, response.status, {k.lower(): v for k, v in response.getheaders()},
                                  data)
                answers.append((response.status, data))
            finally:
                conn.close()
        return answers

    def call_each(self, method, path, who=None):
        """each() with JSON bodies: [(status, parsed body or None)]; `who` is a dict of headers (a login)."""
        return [(status, json.loads(body) if body else None) for status, body in self.each(method, path, who)]

    def metric(self, name):
        """The sum over every instance of the samples named exactly `name` (labels included when given)."""
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def metrics(self):
        """Every instance's /metrics text, one after the other: each process counts what it served (through
        nginx one would answer, at random)."""
        return "".join(body.decode() for _, body in self.each("GET", "/metrics"))

    def log_records(self):
        records = []
        for line in self.log().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def connection(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10, check=True):
        """One request on a fresh connection; returns (status, headers as a dict with lower-case names, body bytes).
        The answer must be one the OpenAPI document declares (AssertionError otherwise); check=False is only for
        a request a test deliberately sends outside the API, with a comment saying why."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            answer = response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()
        if check:
            self.check_answer(method, path, *answer)
        return answer

    def check_answer(self, method, path, status, headers, body):
        """AssertionError unless the OpenAPI document declares this answer (see openapi_check.py)."""
        if self.api is None:
            raise AssertionError(f"{method} {path}: no OpenAPI document to check the answer against (not started?)")
        self.api.check(method, path, status, headers, body)

    def socket(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def call(self, method, path, who=None, payload=None, timeout=10, check=True):
        """A JSON request; returns (status, parsed body or None). `who` is a dict of headers (a login); check as
        for request()."""
        headers = dict(who or {})
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        status, _, data = self.request(method, path, body=body, headers=headers, timeout=timeout, check=check)
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

    def sign_up(self, email, password, name="x"):
        """Registers an account through the API (e-mail verification is off in these tests), then logs it in."""
        status, user = self.call("POST", "/api/v1/auth/register",
                                 payload={"email": email, "password": password, "name": name})
        assert status == 201, user
        return self.login(email, password)


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


def exchange(port, data, timeout=2.0):
    """Sends raw bytes on a fresh loopback connection and reads until the server closes it, or until `timeout`
    seconds pass with nothing arriving; returns (bytes received, whether the server closed)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = b""
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early and closed; its answer may still be readable
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return received, True
            except socket.timeout:
                return received, False
            if not chunk:
                return received, True
            received += chunk
    finally:
        sock.close()


def split_responses(raw):
    """The HTTP/1.x responses in a byte stream, as [(status, headers with lower-case names, body)], and the bytes
    after the last whole one (not a response, or cut off). Interim 1xx responses are skipped. Bodies are framed
    by Content-Length or chunked; none of the requests may be HEAD."""
    responses = []
    while raw.startswith(b"HTTP/1."):
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            break
        lines = raw[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = raw[end + 4:]
        if 100 <= status < 200:
            raw = rest
            continue
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, rest = _dechunk(rest)
            if body is None:
                break
        elif status in (204, 304):
            body = b""
        else:
            length = int(headers.get("content-length", len(rest)))
            if len(rest) < length:
                break
            body, rest = rest[:length], rest[length:]
        responses.append((status, headers, body))
        raw = rest
    return responses, raw


def _dechunk(raw):
    """(body, rest) of the chunked body at the front of raw; (None, raw) when it is cut off."""
    body, rest = b"", raw
    while True:
        line, found, rest = rest.partition(b"\r\n")
        if not found:
            return None, raw
        size = int(line.split(b";")[0], 16)
        if size == 0:
            break
        if len(rest) < size + 2:
            return None, raw
        body, rest = body + rest[:size], rest[size + 2:]
    while True:  # trailer fields up to an empty line
        line, found, rest = rest.partition(b"\r\n")
        if not found:
            return None, raw
        if not line:
            return body, rest
