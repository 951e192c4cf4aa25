"""A local test double of FAL's queue API (the hosted image-to-3D service the remote generator speaks to, which
this machine cannot reach), with faults to inject: the same routes and answer shapes, a GLB it makes itself, and
a record of what it was asked.

    POST /{model}                          -> {"request_id"}            (Authorization: Key ...)
    GET  /{model}/requests/{id}/status     -> IN_QUEUE (queue_position) | IN_PROGRESS | COMPLETED
    GET  /{model}/requests/{id}            -> {"model_mesh": {"url": ".../files/{id}.glb", ...}}
    PUT  /{model}/requests/{id}/cancel     -> {"status": "CANCELLATION_REQUESTED"}
    GET  /files/{id}.glb                   -> the model

Faults are consumed one per request, in order: "429" (with Retry-After: 0), "500", "hang" (no answer for 3 s),
"malformed" (a 200 that is not JSON), "no-id" (a submission answer without request_id), "bad-glb" (the model
file is not glTF). `stuck` keeps every request IN_PROGRESS until cleared; `broken_models` makes every result's
file a broken one."""
import json
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def tetrahedron_glb():
    """A closed tetrahedron as binary glTF 2.0: positions and indices, no texture."""
    positions = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]
    indices = [0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]
    data = b"".join(struct.pack("<3f", *p) for p in positions)
    index_bytes = struct.pack(f"<{len(indices)}H", *indices)
    binary = data + index_bytes
    binary += b"\0" * (-len(binary) % 4)  # chunks end on a 4-byte boundary
    document = {
        "asset": {"version": "2.0", "generator": "fal double"},
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": len(data), "target": 34962},
                        {"buffer": 0, "byteOffset": len(data), "byteLength": len(indices) * 2, "target": 34963}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3",
                       "min": [0, 0, 0], "max": [1, 1, 1]},
                      {"bufferView": 1, "componentType": 5123, "count": len(indices), "type": "SCALAR"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "nodes": [{"mesh": 0}], "scenes": [{"nodes": [0]}], "scene": 0,
    }
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return (struct.pack("<4sII", b"glTF", 2, total) + struct.pack("<I4s", len(text), b"JSON") + text
            + struct.pack("<I4s", len(binary), b"BIN\0") + binary)


class FalDouble:
    def __init__(self, key="test-key", model="fal-ai/triposr"):
        self.key, self.model = key, model
        self.faults = []
        self.stuck = False
        self.broken_models = False  # every result names a file that is not glTF
        self.requests = []      # (method, path, authorization)
        self.cancelled = []
        self.polls = {}         # request id -> status reads so far
        self.glb = tetrahedron_glb()
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                double.handle(self, "GET")

            def do_POST(self):
                double.handle(self, "POST")

            def do_PUT(self):
                double.handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def count(self, method, suffix=""):
        with self.lock:
            return sum(1 for m, p, _ in self.requests if m == method and p.endswith(suffix))

    def handle(self, h, method):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append((method, h.path, h.headers.get("Authorization")))
            fault = self.faults.pop(0) if self.faults and not h.path.startswith("/files/") else None
        if fault == "hang":
            time.sleep(3)
            return
        if fault in ("429", "500"):
            return self.answer(h, int(fault), {"detail": "injected"}, {"Retry-After": "0"} if fault == "429" else {})
        if fault == "malformed":
            return self.raw(h, 200, b"<html>not json</html>", "text/html")
        if h.headers.get("Authorization") != f"Key {self.key}" and not h.path.startswith("/files/"):
            return self.answer(h, 401, {"detail": "bad key"})
        prefix = f"/{self.model}"
        if method == "POST" and h.path == prefix:
            image = json.loads(body).get("image_url", "")
            if not image.startswith("data:image/"):
                return self.answer(h, 422, {"detail": "image_url must be an image"})
            if fault == "no-id":
                return self.answer(h, 200, {"status": "IN_QUEUE"})
            request_id = str(uuid.uuid4())
            with self.lock:
                self.polls[request_id] = 0
            return self.answer(h, 200, {"request_id": request_id, "status": "IN_QUEUE"})
        if h.path.startswith(prefix + "/requests/"):
            rest = h.path[len(prefix + "/requests/"):]
            request_id, _, action = rest.partition("/")
            if request_id not in self.polls:
                return self.answer(h, 404, {"detail": "no such request"})
            if method == "PUT" and action == "cancel":
                with self.lock:
                    self.cancelled.append(request_id)
                return self.answer(h, 202, {"status": "CANCELLATION_REQUESTED"})
            if method == "GET" and action == "status":
                with self.lock:
                    self.polls[request_id] += 1
                    polls = self.polls[request_id]
                if self.stuck or polls == 2:
                    return self.answer(h, 200, {"status": "IN_PROGRESS"})
                if polls == 1:
                    return self.answer(h, 200, {"status": "IN_QUEUE", "queue_position": 3})
                return self.answer(h, 200, {"status": "COMPLETED"})
            if method == "GET" and action == "":
                name = "bad" if fault == "bad-glb" or self.broken_models else request_id
                return self.answer(h, 200, {"model_mesh": {"url": f"{self.url}/files/{name}.glb",
                                                           "content_type": "model/gltf-binary"}})
        if method == "GET" and h.path.startswith("/files/"):
            data = b"not a model" if h.path == "/files/bad.glb" else self.glb
            return self.raw(h, 200, data, "model/gltf-binary")
        return self.answer(h, 404, {"detail": "no route"})

    def answer(self, h, status, document, headers=None):
        self.raw(h, status, json.dumps(document).encode(), "application/json", headers)

    def raw(self, h, status, data, content_type, headers=None):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
