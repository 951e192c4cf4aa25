"""End-to-end: the SIPREMS chat on both modes (in the scaled mode consecutive turns reach different instances
through nginx, so a session's history must live in Redis). The built-in analyst's answers are checked against
the database and the forecast route; the remote engine is tested against a local double of an
OpenAI-compatible service (chat_double.py): its tool-call conversation, streaming, and its faults, after
which the analyst answers, says so, and /ready reports chat_service degraded."""
import json
import unittest

from chat_double import ChatDouble
from keel import Keel

FAST = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
        "jobs.poll_interval_ms": 50}
PASSWORD = "correct horse battery"
PATTERN = [0.8, 0.85, 1.0, 1.05, 1.1, 1.25, 1.4, 1.35, 1.1, 1.0, 0.9, 1.15]


def setup_catalogue(keel, who, sku, years=3, stock=None):
    status, body = keel.call("POST", "/api/v1/products", who,
                             {"sku": sku, "name": f"Chat test {sku.lower()}", "category": "chat", "stock": stock})
    assert status == 201, body
    rows = [{"sku": sku, "date": f"{2022 + i // 12}-{i % 12 + 1:02}-01", "quantity": round(100 * PATTERN[i % 12] + i, 1)}
            for i in range(12 * years)]
    status, body = keel.call("POST", "/api/v1/sales", who, rows)
    assert status == 201, body


def events(data):
    """(event, data) pairs of a server-sent event stream."""
    out = []
    for block in data.decode().split("\n\n"):
        name = next((line[7:] for line in block.splitlines() if line.startswith("event: ")), None)
        payload = next((line[6:] for line in block.splitlines() if line.startswith("data: ")), None)
        if name:
            out.append((name, json.loads(payload)))
    return out


class AnalystChatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(FAST).__enter__()
        cls.alice = cls.keel.sign_up("alice@example.com", PASSWORD)
        cls.bob = cls.keel.sign_up("bob@example.com", PASSWORD)
        setup_catalogue(cls.keel, cls.alice, "CHAT-1", stock=10)
        setup_catalogue(cls.keel, cls.alice, "CHAT-2", stock=100000)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def ask(self, message, who=None, **fields):
        status, answer = self.keel.call("POST", "/api/v1/chat", who or self.alice, {"message": message, **fields})
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["engine"], "analyst")
        return answer

    def test_sales_answers_are_the_databases_figures(self):
        answer = self.ask("How many units of CHAT-1 did we sell in 2023?")
        total = self.keel.sql("SELECT SUM(quantity) FROM siprems_sales WHERE sku = ? AND day BETWEEN ? AND ?",
                              ("CHAT-1", "2023-01-01", "2023-12-31"))[0][0]
        self.assertEqual(len(answer["facts"]), 1, answer)
        self.assertAlmostEqual(answer["facts"][0]["value"], total)
        self.assertIn(f"{total:,.1f}".rstrip("0").rstrip(".") if total % 1 else f"{total:,.0f}", answer["reply"])
        self.assertIn("2023-01-01 to 2023-12-31", answer["reply"])

        trend = self.ask("is chat-2 growing?")
        self.assertIn("up", trend["reply"])
        self.assertEqual(len(trend["facts"]), 2)

    def test_forecast_answers_are_the_forecast_routes(self):
        answer = self.ask("forecast CHAT-1 for the next 3 months")
        status, forecast = self.keel.call("GET", "/api/v1/products/CHAT-1/forecast?horizon=3", self.alice)
        self.assertEqual(status, 200, forecast)
        self.assertEqual([f["value"] for f in answer["facts"]], [p["forecast"] for p in forecast["points"]])
        self.assertIn("January 2025", answer["reply"])

    def test_stock_risk_names_the_product_below_its_forecast(self):
        answer = self.ask("Which products are at risk of running out of stock?")
        self.assertIn("CHAT-1", answer["reply"])
        self.assertNotIn("CHAT-2", answer["reply"])
        self.assertEqual(answer["facts"][0], {"name": "stock CHAT-1", "value": 10,
                                              "source": "siprems_products.stock of CHAT-1"})

    def test_what_it_does_not_understand_gets_the_list_of_what_it_can(self):
        answer = self.ask("what is the meaning of life")
        self.assertIn("I did not understand", answer["reply"])
        self.assertIn("Forecast CHAT-1", answer["reply"])
        self.assertEqual(answer["facts"], [])

    def test_a_session_keeps_its_history_and_belongs_to_its_user(self):
        first = self.ask("top 2 products in 2024")
        session = first["session_id"]
        self.assertIn("1. Chat test", first["reply"])
        second = self.ask("sales of CHAT-2 in 2022", session_id=session)
        self.assertEqual(second["session_id"], session)
        status, history = self.keel.call("GET", f"/api/v1/chat/sessions/{session}", self.alice)
        self.assertEqual(status, 200, history)
        self.assertEqual([(t["role"], t["content"]) for t in history["turns"]],
                         [("user", "top 2 products in 2024"), ("assistant", first["reply"]),
                          ("user", "sales of CHAT-2 in 2022"), ("assistant", second["reply"])])
        self.assertEqual(self.keel.call("GET", f"/api/v1/chat/sessions/{session}", self.bob)[0], 404)
        self.assertEqual(self.keel.call("DELETE", f"/api/v1/chat/sessions/{session}", self.alice)[0], 204)
        self.assertEqual(self.keel.call("GET", f"/api/v1/chat/sessions/{session}", self.alice)[0], 404)
        status, problem = self.keel.call("POST", "/api/v1/chat", self.alice, {"message": "", "session_id": "a b"})
        self.assertEqual((status, sorted(e["field"] for e in problem["errors"])), (422, ["message", "session_id"]))

    def test_a_streamed_reply_arrives_in_pieces_then_whole(self):
        status, headers, data = self.keel.request(
            "POST", "/api/v1/chat", body=json.dumps({"message": "forecast CHAT-2 next 2 months", "stream": True}),
            headers={**self.alice, "Content-Type": "application/json"})
        self.assertEqual((status, headers["content-type"].split(";")[0]), (200, "text/event-stream"))
        got = events(data)
        self.assertEqual(got[-1][0], "done")
        deltas = [d["text"] for name, d in got if name == "delta"]
        self.assertGreater(len(deltas), 1)
        self.assertEqual("".join(deltas), got[-1][1]["reply"])


class RemoteChatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.double = ChatDouble().__enter__()
        cls.keel = Keel({**FAST, "chat.base_url": cls.double.url, "chat.model": "double-1",
                         "chat.key_env": "CHAT_TEST_KEY", "chat.timeout_ms": 1000, "chat.attempts": 2,
                         "chat.degraded_window_s": 60},
                        env={"CHAT_TEST_KEY": "test-key"}).__enter__()
        cls.alice = cls.keel.sign_up("alice@example.com", PASSWORD)
        setup_catalogue(cls.keel, cls.alice, "REMOTE-1")

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)
        cls.double.__exit__(None, None, None)

    def setUp(self):
        self.double.faults = []
        with self.double.lock:
            self.double.requests = []

    def test_the_model_calls_keels_tools_and_quotes_their_figures(self):
        status, answer = self.keel.call("POST", "/api/v1/chat", self.alice, {"message": "How will REMOTE-1 do?"})
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["engine"], "remote")
        status, forecast = self.keel.call("GET", "/api/v1/products/REMOTE-1/forecast?horizon=2", self.alice)
        first = forecast["points"][0]
        self.assertEqual(answer["reply"], f"REMOTE-1 should sell {first['forecast']:.1f} units in {first['period']} "
                                          f"(model {forecast['model']['version']}).")
        self.assertEqual([f["value"] for f in answer["facts"]], [p["forecast"] for p in forecast["points"]])
        # Two requests: the tool call, then the answer given the tool's result.
        self.assertEqual(len(self.double.requests), 2)
        tool = self.double.requests[1]["messages"][-1]
        self.assertEqual((tool["role"], tool["tool_call_id"]), ("tool", "call_forecast"))
        self.assertEqual(json.loads(tool["content"])["points"], forecast["points"])
        self.assertEqual({t["function"]["name"] for t in self.double.requests[0]["tools"]},
                         {"forecast", "sales", "top_products", "stock_risk"})

        # The next turn reaches the model with the history: it finds the SKU in the earlier question.
        status, again = self.keel.call("POST", "/api/v1/chat", self.alice,
                                       {"message": "and the month after?", "session_id": answer["session_id"]})
        self.assertEqual(again["reply"], answer["reply"])
        sent = [m["content"] for m in self.double.requests[2]["messages"] if m["role"] in ("user", "assistant")]
        self.assertEqual(sent, ["How will REMOTE-1 do?", answer["reply"], "and the month after?"])

    def test_a_streamed_remote_reply_is_passed_on_as_it_comes(self):
        status, headers, data = self.keel.request(
            "POST", "/api/v1/chat", body=json.dumps({"message": "top products in 2023", "stream": True}),
            headers={**self.alice, "Content-Type": "application/json"})
        got = events(data)
        deltas = [d["text"] for name, d in got if name == "delta"]
        self.assertEqual(got[-1][0], "done", got)
        self.assertEqual(got[-1][1]["engine"], "remote")
        self.assertEqual("".join(deltas), "The best seller was REMOTE-1.")
        self.assertGreater(len(deltas), 3)  # word by word, as the double sent them
        self.assertTrue(all(r["stream"] for r in self.double.requests))

    def test_a_failing_service_falls_back_to_the_analyst_and_ready_says_degraded(self):
        self.double.faults = ["429"]  # retried
        status, answer = self.keel.call("POST", "/api/v1/chat", self.alice, {"message": "How will REMOTE-1 do?"})
        self.assertEqual((status, answer["engine"]), (200, "remote"), answer)
        for faults in (["500", "500"], ["hang", "hang"], ["malformed"]):
            self.double.faults = list(faults)
            status, answer = self.keel.call("POST", "/api/v1/chat", self.alice,
                                            {"message": "forecast REMOTE-1 next 2 months"}, timeout=20)
            self.assertEqual(status, 200, answer)
            self.assertEqual((answer["engine"], answer["degraded"]), ("analyst", True), faults)
            self.assertIn("The assistant service is unavailable", answer["reply"])
            self.assertIn("Forecast for Chat test remote-1 (REMOTE-1)", answer["reply"])
        # Each instance judges from its own turns: those that saw a failure say degraded, and stay ready.
        readiness = self.keel.call_each("GET", "/ready")
        self.assertEqual({status for status, _ in readiness}, {200}, readiness)
        states = [ready["checks"]["chat_service"] for _, ready in readiness]
        self.assertTrue(any(state.startswith("degraded: the chat service failed") for state in states), states)
        # A stream cut half-way is not retried (its first half was passed on): the analyst finishes the turn.
        self.double.faults = ["cut"]
        status, headers, data = self.keel.request(
            "POST", "/api/v1/chat", body=json.dumps({"message": "top products in 2023", "stream": True}),
            headers={**self.alice, "Content-Type": "application/json"}, timeout=20)
        got = events(data)
        self.assertEqual(got[-1][0], "done", got)
        self.assertTrue(got[-1][1]["degraded"])


if __name__ == "__main__":
    unittest.main()
