"""End-to-end: HTTP/1.1 conformance of Keel's request reading (RFC 9112), case by case from http_cases, in raw bytes.

Embedded mode speaks to one Keel directly, and checks the table's nginx columns against a standalone nginx (alone,
and proxying to Keel). Scaled mode (KEEL_E2E_CLUSTER) sends every case to one instance directly and through the
cluster's nginx in front of two: whatever nginx lets through must not be read differently by Keel.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
from dataclasses import dataclass
from typing import List, Optional

from http_cases import CANARY_METRIC, CASES, Answer, differs_from_nginx, front_answer
from keel import CLUSTER_DIR, Keel, exchange, free_port, split_responses

NGINX = "/usr/sbin/nginx"
# Servers close at once after refusing; a connection that stays open ends with the closer.
EXCHANGE_TIMEOUT = 3.0


@dataclass
class Seen:
    """What came back for one case's bytes."""
    statuses: List[int]  # of the responses to the tested request (none carry the canary's or closer's id)
    body: Optional[bytes]  # the first of those responses' body
    canary_answered: bool
    closer_answered: bool
    unparsed: bytes  # bytes after the last whole response: HTTP/0.9 answers, cut-off responses

    def answer(self):
        return Answer(self.statuses[0] if self.statuses else None,
                      close=not (self.canary_answered or self.closer_answered),
                      swallows=self.closer_answered and not self.canary_answered)


def send_case(port, case):
    raw, _ = exchange(port, case.wire, timeout=EXCHANGE_TIMEOUT)
    responses, unparsed = split_responses(raw)
    ids = [headers.get("x-request-id") for _, headers, _ in responses]
    tested = [(status, body) for (status, _, body), rid in zip(responses, ids) if rid not in ("canary", "closer")]
    return Seen(statuses=[status for status, _ in tested], body=tested[0][1] if tested else None,
                canary_answered="canary" in ids, closer_answered="closer" in ids, unparsed=unparsed)


class StandaloneNginx:
    """nginx 1.22 as a plain server under a temporary prefix: `location / { return 200; }`, echoing X-Request-ID
    so the canary's answer is told apart. With `upstream_port`, a second server proxies to it as `keel cluster
    front` does. A context manager; stops the process it started, by its PID."""

    def __init__(self, upstream_port=None):
        self.dir = tempfile.mkdtemp(prefix="keel-e2e-nginx-")
        self.port = free_port()
        self.proxy_port = free_port() if upstream_port else None
        proxy = ""
        if upstream_port:
            proxy = f"""
            upstream keel {{ server 127.0.0.1:{upstream_port}; keepalive 4; }}
            server {{
                listen 127.0.0.1:{self.proxy_port};
                server_name keel;  # $host for a request that names none, as deploy/cluster/nginx.conf.in
                location / {{
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    proxy_pass http://keel;
                }}
            }}"""
        temp_paths = "".join(f"{kind}_temp_path {self.dir}/{kind};\n"
                             for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(f"""
            daemon off;
            master_process off;
            pid {self.dir}/nginx.pid;
            error_log {self.dir}/error.log warn;
            events {{ worker_connections 64; }}
            http {{
                access_log off;
                {temp_paths}
                server {{
                    listen 127.0.0.1:{self.port};
                    location / {{
                        add_header X-Request-ID $http_x_request_id always;
                        return 200 "ok\\n";
                    }}
                }}
                {proxy}
            }}""")
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen([NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"), "-c",
                                         os.path.join(self.dir, "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited: " + self.process.stderr.read().decode())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.__exit__()
        raise RuntimeError("nginx did not listen in time")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process:
            self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def for_each_case(test, keel, port, check):
    """Sends every case to `port`, each in a subtest, and calls check(case, seen, times the canary ran). Each
    metrics read is a fresh connection, so it also shows the server still serves after every case."""
    canaries = keel.metric(CANARY_METRIC)
    for case in CASES:
        with test.subTest(case.name):
            seen = send_case(port, case)
            if not all(process.running() for process in keel.processes):
                log = keel.log()[-2000:]
                keel.stop()
                keel.start()  # the cases after this one get a server
                canaries = keel.metric(CANARY_METRIC)
                test.fail("keel exited on this case:\n" + log)
            now = keel.metric(CANARY_METRIC)
            canary_runs, canaries = now - canaries, now
            check(case, seen, canary_runs)


class ConformanceChecks:
    """Checks every case's answer, and that the canary ran exactly when it must."""

    def check_cases(self, keel, port, expected_of):
        def check(case, seen, canary_runs):
            expected = expected_of(case)
            runs_expected = 0 if expected.close or expected.swallows else 1
            self.assertEqual(outcome(seen.statuses, seen.answer(), canary_runs),
                             outcome([] if expected.status is None else [expected.status], expected, runs_expected),
                             f"got, expected; unparsed bytes: {seen.unparsed[:80]!r}")
            if case.echo is not None and seen.statuses == [200]:
                self.assertEqual(seen.body, case.echo, "the body Keel read")

        for_each_case(self, keel, port, check)


def outcome(statuses, answer, canary_runs=None):
    """One line for a case's result, so a failure reads `'400, closes, canary ran 0x' != '200, stays open, ...'`."""
    goes_on = "closes" if answer.close else "swallows the canary" if answer.swallows else "stays open"
    line = f"{'+'.join(map(str, statuses)) or 'no answer'}, {goes_on}"
    return line if canary_runs is None else line + f", canary ran {canary_runs:g}x"


class CaseTableTest(unittest.TestCase):
    def test_the_table_is_complete(self):
        self.assertGreaterEqual(len(CASES), 60)
        self.assertEqual(len({case.name for case in CASES}), len(CASES), "case names are unique")
        for case in CASES:
            with self.subTest(case.name):
                front_answer(case)  # derivable, or given
                if differs_from_nginx(case):
                    self.assertIn("nginx", case.note, "a difference from nginx says why")


@unittest.skipIf(CLUSTER_DIR, "embedded mode: Keel on its own; scaled mode runs FrontConformanceTest")
class KeelConformanceTest(ConformanceChecks, unittest.TestCase):
    def test_every_case_gets_keel_s_answer(self):
        with Keel(instances=1) as keel:
            self.check_cases(keel, keel.port, lambda case: case.keel)


@unittest.skipUnless(CLUSTER_DIR, "scaled mode: nginx in front of two instances")
class FrontConformanceTest(ConformanceChecks, unittest.TestCase):
    def test_every_case_through_nginx_gets_nginx_s_or_keel_s_answer(self):
        with Keel() as keel:
            self.check_cases(keel, keel.port, front_answer)

    def test_every_case_gets_keel_s_answer_from_one_instance(self):
        # The HTTP suites speak to one instance directly in scaled mode too (test_protocol does the same).
        with Keel(instances=1) as keel:
            self.check_cases(keel, keel.port, lambda case: case.keel)


def nginx_version():
    if not os.access(NGINX, os.X_OK):
        return None
    return subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip()


@unittest.skipIf(CLUSTER_DIR, "runs once, in the embedded suite")
@unittest.skipUnless("nginx/1.22." in (nginx_version() or ""),
                     f"the nginx column was recorded with nginx 1.22, not {nginx_version()}")
class NginxColumnTest(ConformanceChecks, unittest.TestCase):
    """The table's nginx answers are nginx's, not beliefs about it."""

    def test_nginx_answers_as_recorded(self):
        with StandaloneNginx() as nginx:
            for case in CASES:
                with self.subTest(case.name):
                    seen = send_case(nginx.port, case)
                    self.assertEqual(outcome(seen.statuses, seen.answer()),
                                     outcome([] if case.nginx.status is None else [case.nginx.status], case.nginx))

    def test_nginx_in_front_of_keel_answers_as_recorded(self):
        # Scaled mode checks the same through the cluster's own nginx; this catches a wrong front answer in the
        # table without a cluster.
        with Keel(instances=1) as keel, StandaloneNginx(upstream_port=keel.port) as nginx:
            self.check_cases(keel, nginx.proxy_port, front_answer)


if __name__ == "__main__":
    unittest.main()
