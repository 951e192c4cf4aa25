"""A local test double of an OpenAI-compatible chat-completions API (the hosted LLM service SIPREMS's remote
chat engine speaks to, which this machine cannot reach): the same route, request and answer shapes, tool
calls, streamed answers (server-sent events), and faults to inject.

    POST /v1/chat/completions   (Authorization: Bearer KEY)
        {"model", "messages", "tools", "tool_choice", "stream"}
        -> {"choices": [{"message": {"role": "assistant", "content" | "tool_calls"}, "finish_reason"}]}
        or, with "stream": true, "data: {chunk}" events ending with "data: [DONE]"

It behaves like a small model that uses its tools: asked about a SKU (in the last user message, else in an
earlier one: the history it was sent), it calls forecast(sku, horizon=2) and then answers with the first
forecast figure the tool returned; asked for "top" products, it calls top_products for the year named.
Faults are consumed one per request, in order: "429" (Retry-After: 0), "500", "hang" (no answer for 3 s),
"malformed" (a 200 that is not JSON), "cut" (a stream that stops half-way)."""
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SKU = re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")


class ChatDouble:
    def __init__(self, key="test-key", model="double-1"):
        self.key, self.model = key, model
        self.faults = []
        self.requests = []  # the request bodies, parsed
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                double.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault == "hang":
            time.sleep(3)
            return
        if fault in ("429", "500"):
            return self.answer(h, int(fault), {"error": {"message": "injected"}},
                               {"Retry-After": "0"} if fault == "429" else {})
        if fault == "malformed":
            return self.raw(h, 200, b"<html>not json</html>", "text/html")
        if h.path != "/v1/chat/completions":
            return self.answer(h, 404, {"error": {"message": "no such route"}})
        if h.headers.get("Authorization") != f"Bearer {self.key}":
            return self.answer(h, 401, {"error": {"message": "bad key"}})
        request = json.loads(body)
        with self.lock:
            self.requests.append(request)
        if request.get("model") != self.model or not isinstance(request.get("messages"), list):
            return self.answer(h, 400, {"error": {"message": "model and messages are required"}})
        message = self.think(request)
        if request.get("stream"):
            return self.stream(h, message, cut=fault == "cut")
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return self.answer(h, 200, {"id": "chatcmpl-double", "object": "chat.completion", "model": self.model,
                                    "choices": [{"index": 0, "message": message, "finish_reason": finish}]})

    def think(self, request):
        messages = request["messages"]
        last = messages[-1]
        tools_allowed = request.get("tool_choice") != "none"
        if last["role"] == "tool":
            result = json.loads(last["content"])
            if "error" in result:
                return {"role": "assistant", "content": f"The tool said: {result['error']}"}
            if "points" in result:
                point = result["points"][0]
                return {"role": "assistant",
                        "content": f"{result['sku']} should sell {point['forecast']:.1f} units in {point['period']} "
                                   f"(model {result['model']['version']})."}
            if "items" in result:
                top = result["items"][0]["sku"] if result["items"] else "nothing"
                return {"role": "assistant", "content": f"The best seller was {top}."}
            return {"role": "assistant", "content": "Done."}
        asked = [m["content"] for m in messages if m["role"] == "user"]
        if tools_allowed and "top" in asked[-1].lower():
            year = re.search(r"\b(19|20)\d\d\b", asked[-1])
            year = year.group(0) if year else "2024"
            return self.call("top_products", {"from": f"{year}-01-01", "to": f"{year}-12-31", "n": 3})
        for text in reversed(asked):
            found = SKU.search(text)
            if found and tools_allowed:
                return self.call("forecast", {"sku": found.group(0), "horizon": 2})
        return {"role": "assistant", "content": "I can help with sales and forecasts."}

    @staticmethod
    def call(name, arguments):
        return {"role": "assistant", "content": None,
                "tool_calls": [{"id": f"call_{name}", "type": "function",
                                "function": {"name": name, "arguments": json.dumps(arguments)}}]}

    def stream(self, h, message, cut=False):
        chunks = []
        if message.get("tool_calls"):
            call = message["tool_calls"][0]
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            chunks.append({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                           "function": {"name": call["function"]["name"], "arguments": arguments[:half]}}]})
            chunks.append({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]})
            finish = "tool_calls"
        else:
            words = message["content"].split(" ")
            chunks.append({"role": "assistant", "content": ""})
            chunks.extend({"content": (" " if i else "") + w} for i, w in enumerate(words))
            finish = "stop"
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

        def send(data):
            payload = f"data: {data}\n\n".encode()
            h.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
            h.wfile.flush()

        for i, delta in enumerate(chunks):
            send(json.dumps({"id": "chatcmpl-double", "object": "chat.completion.chunk",
                             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
            if cut and i == len(chunks) // 2:
                h.close_connection = True
                return
            time.sleep(0.01)
        send(json.dumps({"id": "chatcmpl-double", "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}))
        send("[DONE]")
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()

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
