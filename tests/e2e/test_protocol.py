"""End-to-end: routing answers and the server's protection against malformed, huge and slow requests."""
import functools
import gzip
import json
import re
import select
import socket
import time
import unittest

from keel import Keel as KeelProcesses, read_until_closed, status_of, wait_for

# Keel's own HTTP parsing and limits: one process spoken to directly, also in scaled mode (nginx in front would
# answer malformed requests itself).
Keel = functools.partial(KeelProcesses, instances=1)


class RoutingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel({"cors.allowed_origins": ["https://app.example"]}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def test_unknown_path_is_404_problem(self):
        status, headers, body = self.keel.request("GET", "/nope")
        self.assertEqual(status, 404)
        self.assertEqual(headers["content-type"], "application/problem+json")
        problem = json.loads(body)
        self.assertEqual(problem["status"], 404)
        self.assertEqual(problem["title"], "Not Found")
        self.assertIn("type", problem)
        self.assertIn("/nope", problem["detail"])

    def test_wrong_method_is_405_with_allow(self):
        status, headers, body = self.keel.request("DELETE", "/health")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD, OPTIONS")
        self.assertEqual(json.loads(body)["status"], 405)

    def test_head_answers_like_get_without_a_body(self):
        status, headers, body = self.keel.request("HEAD", "/health")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-length"], "20")
        self.assertEqual(body, b"")

    def test_json_route_rejects_other_media_types_with_415(self):
        status, headers, body = self.keel.request("POST", "/api/v1/debug/echo", body=b"a=1",
                                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 415)
        self.assertEqual(headers["content-type"], "application/problem+json")
        status, _, body = self.keel.request("POST", "/api/v1/debug/echo", body=b'{"a":1}',
                                            headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertEqual(status, 200)
        self.assertEqual(body, b'{"a":1}')

    def test_gzip_when_accepted_and_large_enough(self):
        status, headers, body = self.keel.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertIn("Accept-Encoding", headers["vary"])
        self.assertIn(b"keel_http_requests_total", gzip.decompress(body))
        _, headers, _ = self.keel.request("GET", "/metrics")
        self.assertNotIn("content-encoding", headers)
        _, headers, _ = self.keel.request("GET", "/health", headers={"Accept-Encoding": "gzip"})
        self.assertNotIn("content-encoding", headers)  # 20 bytes are not worth it

    def test_cors_preflight_and_actual_request(self):
        status, headers, _ = self.keel.request("OPTIONS", "/api/v1/debug/echo", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "https://app.example")
        self.assertIn("POST", headers["access-control-allow-methods"])
        self.assertEqual(headers["access-control-allow-headers"], "content-type, authorization")
        self.assertEqual(headers["access-control-max-age"], "600")
        status, headers, _ = self.keel.request("GET", "/health", headers={"Origin": "https://app.example"})
        self.assertEqual(headers["access-control-allow-origin"], "https://app.example")
        self.assertIn("X-Request-ID", headers["access-control-expose-headers"])
        status, headers, _ = self.keel.request("OPTIONS", "/api/v1/debug/echo", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 403)
        self.assertNotIn("access-control-allow-origin", headers)
        _, headers, _ = self.keel.request("GET", "/health", headers={"Origin": "https://evil.example"})
        self.assertNotIn("access-control-allow-origin", headers)
        # Preflights are counted under the route they ask about, not as unmatched.
        self.assertEqual(self.keel.metric(
            'keel_http_requests_total{method="OPTIONS",route="/api/v1/debug/echo",status="204"}'), 1)
        self.assertEqual(self.keel.metric('keel_http_requests_total{method="OPTIONS",route="unmatched",status="204"}'),
                         0)

    def test_keep_alive_reuses_one_connection(self):
        conn = self.keel.connection()
        conn.request("GET", "/health")
        conn.getresponse().read()
        first_socket = conn.sock
        for _ in range(5):
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            self.assertEqual(response.status, 200)
        self.assertIs(conn.sock, first_socket)
        conn.close()

    def test_pipelined_requests_are_answered_in_order(self):
        sock = self.keel.socket()
        requests = b"".join(
            f"GET {path} HTTP/1.1\r\nHost: t\r\nX-Request-ID: pipe-{i}\r\n\r\n".encode()
            for i, path in enumerate(["/api/v1/debug/sleep?ms=100", "/health", "/ready", "/nope"]))
        requests += b"GET /health HTTP/1.1\r\nHost: t\r\nX-Request-ID: pipe-4\r\nConnection: close\r\n\r\n"
        sock.sendall(requests)
        raw = read_until_closed(sock)
        sock.close()
        ids = [line.split(b": ")[1].strip() for line in raw.split(b"\r\n") if line.lower().startswith(b"x-request-id")]
        self.assertEqual(ids, [f"pipe-{i}".encode() for i in range(5)])
        statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)]
        self.assertEqual(statuses, [200, 200, 200, 404, 200])

    def test_garbage_request_line_is_400_and_closed(self):
        sock = self.keel.socket()
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        raw = read_until_closed(sock)
        sock.close()
        self.assertEqual(status_of(raw), 400)
        self.assertIn(b"application/problem+json", raw)
        self.assertIn(b"Connection: close", raw)

    def test_oversized_headers_are_431(self):
        sock = self.keel.socket()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        raw = read_until_closed(sock)
        sock.close()
        self.assertEqual(status_of(raw), 431)

    def test_oversized_body_is_413_without_reading_it(self):
        total = 100 * 1024 * 1024
        sock = self.keel.socket()
        sock.sendall(f"POST /api/v1/debug/echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {total}\r\n\r\n".encode())
        sock.setblocking(False)
        chunk = b"x" * 65536
        sent = 0
        response = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and b"\r\n\r\n" not in response:
            readable, writable, _ = select.select([sock], [sock] if sent < total else [], [], 0.5)
            if readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                response += data
            elif writable:
                try:
                    sent += sock.send(chunk)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    pass
        sock.close()
        self.assertEqual(status_of(response), 413)
        # The answer came long before the body: the server did not read 100 MiB.
        self.assertLess(sent, 16 * 1024 * 1024)
        # Counted under the route the body was for.
        self.assertEqual(self.keel.metric(
            'keel_http_requests_total{method="POST",route="/api/v1/debug/echo",status="413"}'), 1)


class TimeoutTest(unittest.TestCase):
    def test_stalled_head_gets_408_and_idle_keep_alive_is_closed(self):
        with Keel({"server.header_timeout_ms": 600, "server.idle_timeout_ms": 900}) as keel:
            sock = keel.socket()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n")  # half a head, then nothing
            started = time.monotonic()
            raw = read_until_closed(sock)
            sock.close()
            self.assertEqual(status_of(raw), 408)
            self.assertLess(time.monotonic() - started, 5)

            sock = keel.socket()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            first = sock.recv(65536)
            self.assertEqual(status_of(first), 200)
            started = time.monotonic()
            rest = read_until_closed(sock)  # the server closes the idle connection
            elapsed = time.monotonic() - started
            sock.close()
            self.assertEqual(rest, b"")
            self.assertGreater(elapsed, 0.5)
            self.assertLess(elapsed, 5)
            # The server is fine afterwards.
            self.assertEqual(keel.request("GET", "/health")[0], 200)

    def test_an_idle_connection_is_parked_then_served_and_timed_out_like_any_other(self):
        with Keel({"server.idle_timeout_ms": 4000}) as keel:
            parked = lambda: keel.metric('keel_http_connections{state="parked"}')
            sock = keel.socket()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(status_of(sock.recv(65536)), 200)
            # Idle for a second, the connection gives back its read buffer and waits without one.
            wait_for(lambda: parked() == 1, timeout=5, what="the idle connection parked")
            # A head that arrives in two pieces after parking is read whole, and the connection is active again.
            sock.sendall(b"GET /health HTTP/1.1\r\nHo")
            time.sleep(0.05)
            sock.sendall(b"st: t\r\n\r\n")
            self.assertEqual(status_of(sock.recv(65536)), 200)
            self.assertEqual(parked(), 0)
            # Parked again, it is still closed when the idle timeout passes.
            started = time.monotonic()
            wait_for(lambda: parked() == 1, timeout=5, what="the connection parked again")
            self.assertEqual(read_until_closed(sock), b"")
            sock.close()
            self.assertGreater(time.monotonic() - started, 3)
            wait_for(lambda: parked() == 0, timeout=5, what="the closed connection uncounted")
            # In the end only the scrape's own connection is open (an earlier scrape's may take a moment to close).
            wait_for(lambda: keel.metric('keel_http_connections{state="open"}') == 1, timeout=5,
                     what="only the scrape's connection open")


if __name__ == "__main__":
    unittest.main()
