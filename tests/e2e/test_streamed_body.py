"""End-to-end: streamed request bodies (routes that read their body as it arrives, like uploads), through the
diagnostic route /api/v1/debug/multipart, which describes each multipart part it read (name, filename, size,
SHA-256)."""
import functools
import hashlib
import json
import os
import socket
import time
import unittest

from keel import Keel as KeelProcesses, read_until_closed, split_responses, status_of

# The server's own reading of bodies: one process spoken to directly (nginx would buffer the body).
Keel = functools.partial(KeelProcesses, instances=1)

BOUNDARY = "keel-test-boundary-7f3a"


def multipart(parts):
    """A multipart/form-data body from [(name, filename or None, bytes)]."""
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def chunked(body, sizes):
    """body in chunked transfer coding, cut into chunks of the given sizes in turn."""
    out, at, i = b"", 0, 0
    while at < len(body):
        size = sizes[i % len(sizes)]
        out += f"{size if at + size <= len(body) else len(body) - at:x}\r\n".encode() + body[at:at + size] + b"\r\n"
        at += size
        i += 1
    return out + b"0\r\n\r\n"


def head(length=None, extra=""):
    framing = f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    return (f"POST /api/v1/debug/multipart HTTP/1.1\r\nHost: t\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}{extra}\r\n").encode()


def described(parts):
    return [{"name": n, "filename": f or "", "bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
            for n, f, d in parts]


class StreamedBodyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel({"server.body_timeout_ms": 1500}).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def test_parts_arrive_whole_with_content_length_and_keep_alive_holds(self):
        parts = [("format", None, b"glb"), ("files", "big.bin", os.urandom(5 * 1024 * 1024 + 17)),
                 ("files", "small.bin", b"\r\n--" + BOUNDARY.encode()[:-1] + b"\r\n")]
        body = multipart(parts)
        conn = self.keel.connection()
        try:
            for _ in range(2):  # the same connection carries a second request after the streamed one
                conn.request("POST", "/api/v1/debug/multipart", body=body,
                             headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
                response = conn.getresponse()
                answer = json.loads(response.read())
                self.assertEqual(response.status, 200)
                self.assertEqual(answer["parts"], described(parts))
        finally:
            conn.close()

    def test_chunked_body_in_odd_pieces(self):
        parts = [("files", "a.bin", os.urandom(300000)), ("note", None, b"x" * 10)]
        sock = self.keel.socket()
        sock.sendall(head() + chunked(multipart(parts), [1, 7, 4093, 65536, 3]))
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        responses, _ = split_responses(read_until_closed(sock))
        sock.close()
        self.assertEqual([status for status, _, _ in responses], [200, 200])
        self.assertEqual(json.loads(responses[0][2])["parts"], described(parts))

    def test_expect_100_continue_is_answered_before_the_body(self):
        parts = [("files", "a.bin", b"abc")]
        body = multipart(parts)
        sock = self.keel.socket()
        sock.sendall(head(len(body), "Expect: 100-continue\r\n"))
        interim = sock.recv(1024)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim)
        sock.sendall(body)
        sock.shutdown(socket.SHUT_WR)
        responses, _ = split_responses(read_until_closed(sock))
        sock.close()
        self.assertEqual(responses[0][0], 200)
        self.assertEqual(json.loads(responses[0][2])["parts"], described(parts))

    def test_malformed_multipart_is_400_and_the_connection_stays_usable(self):
        body = f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode()
        sock = self.keel.socket()
        sock.sendall(head(len(body)) + body + b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        responses, _ = split_responses(read_until_closed(sock))
        sock.close()
        self.assertEqual([status for status, _, _ in responses], [400, 200])
        self.assertIn("Content-Disposition", json.loads(responses[0][2])["detail"])

    def test_chunked_body_over_the_limit_is_413_once_it_passes_the_limit(self):
        counted = {status: 'keel_http_requests_total{method="POST",route="/api/v1/debug/multipart",status="%d"}'
                   % status for status in (400, 413)}
        before = {status: self.keel.metric(name) or 0 for status, name in counted.items()}
        sock = self.keel.socket()
        opening = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=f\r\n\r\n".encode()
        sock.sendall(head() + f"{len(opening):x}\r\n".encode() + opening + b"\r\n")
        chunk = b"10000\r\n" + b"z" * 0x10000 + b"\r\n"
        sent = 0
        try:
            while sent < 80 * 1024 * 1024:
                sock.sendall(chunk)
                sent += 0x10000
        except (BrokenPipeError, ConnectionResetError):
            pass
        raw = read_until_closed(sock)
        sock.close()
        self.assertEqual(status_of(raw), 413)
        self.assertGreaterEqual(sent, 64 * 1024 * 1024)  # read until the limit, as it arrived
        # Counted once, as the server's 413 (not also as whatever the handler made of the failed read).
        self.assertEqual(self.keel.metric(counted[413]), before[413] + 1)
        self.assertEqual(self.keel.metric(counted[400]) or 0, before[400])

    def test_stalled_body_gets_408(self):
        sock = self.keel.socket()
        sock.sendall(head(1000) + f"--{BOUNDARY}\r\n".encode())
        started = time.monotonic()
        raw = read_until_closed(sock)
        sock.close()
        self.assertEqual(status_of(raw), 408)
        self.assertLess(time.monotonic() - started, 10)

    def test_a_client_leaving_mid_body_leaves_the_server_serving(self):
        sock = self.keel.socket()
        sock.sendall(head(10 * 1024 * 1024) + f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=f\r\n\r\n"
                     .encode() + b"q" * 100000)
        sock.close()
        status, _, _ = self.keel.request("GET", "/health")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
