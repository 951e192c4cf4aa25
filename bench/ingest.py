"""Live Validation Dashboard ingestion benchmark (issue 15): POST /api/v1/logs in batches of 100 and one event at
a time, and dashboard reads while ingestion runs.

One Keel instance on SQLite with its defaults (access log on, synchronous=FULL: every acknowledged event is on
disk), except rate limiting, which is switched off because wrk sends everything from one address and one account.
The app has three event schemas; each batch holds valid events, events that break a rule and an unplanned one,
in flag mode, so every event is validated, stored and counted.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section
from tasks_api import PASSWORD, call, lua

RULES = {
    "events": {
        "signup": {"type": "object", "required": ["plan", "email"], "additionalProperties": False,
                   "properties": {"plan": {"enum": ["free", "pro", "team"]},
                                  "email": {"type": "string", "format": "email"},
                                  "referrer": {"type": "string", "maxLength": 200}}},
        "purchase": {"type": "object", "required": ["amount", "currency", "items"],
                     "properties": {"amount": {"type": "number", "minimum": 0},
                                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                    "items": {"type": "array", "minItems": 1, "maxItems": 50,
                                              "items": {"type": "object", "required": ["sku"],
                                                        "properties": {"sku": {"type": "string"},
                                                                       "qty": {"type": "integer", "minimum": 1}}}}}},
        "page_view": {"type": "object", "required": ["path"],
                      "properties": {"path": {"type": "string", "minLength": 1}, "ms": {"type": "integer"}}},
    },
    "unplanned": "flag",
}


def event(i):
    kind = i % 10
    if kind < 5:
        return {"event": "page_view", "user_id": f"u{i}", "properties": {"path": f"/products/{i}", "ms": 120 + i}}
    if kind < 7:
        return {"event": "signup", "user_id": f"u{i}",
                "properties": {"plan": "pro" if kind == 5 else "gold", "email": f"user{i}@example.com"}}
    if kind < 9:
        return {"event": "purchase", "timestamp": "2026-12-02T10:00:00Z", "user_id": f"u{i}",
                "properties": {"amount": 19.99 if kind == 7 else -1, "currency": "EUR",
                               "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}]}}
    return {"event": "newsletter_open", "properties": {"campaign": "december"}}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def live_latency(send_port, view_port, key, token, app_id, seconds, rate=50):
    """Single events sent to `send_port` at `rate`/s (below the live view's sampling limit), watched on
    `view_port`'s /live: milliseconds from sending each request to its `log` event on the stream. That bounds
    the time from its 200 to the event: Keel publishes before it answers, so the event often arrives first."""
    viewer = http.client.HTTPConnection("127.0.0.1", view_port, timeout=30)
    viewer.request("GET", f"/api/v1/apps/{app_id}/live", headers={"Authorization": f"Bearer {token}"})
    stream = viewer.getresponse()
    if stream.status != 200:
        raise RuntimeError(f"/live: {stream.status}")
    arrived, sent_at, acked = {}, {}, set()
    subscribed = threading.Event()

    def read():
        name = None
        while True:
            line = stream.fp.readline()
            if not line:
                return
            line = line.decode().rstrip("\r\n")
            if line.startswith("event: "):
                name = line[7:]
                subscribed.set()
            elif line.startswith("data: ") and name == "log":
                seq = json.loads(line[6:])["properties"].get("seq")
                arrived[seq] = time.monotonic()
                if seq == -1:
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    subscribed.wait(5)
    sender = http.client.HTTPConnection("127.0.0.1", send_port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    count = seconds * rate
    start = time.monotonic()
    for seq in list(range(count)) + [-1]:
        time.sleep(max(0.0, start + (seq if seq >= 0 else count) / rate - time.monotonic()))
        sent_at[seq] = time.monotonic()
        sender.request("POST", "/api/v1/logs", body=json.dumps({"event": "page_view",
                                                                 "properties": {"path": "/", "seq": seq}}),
                       headers=headers)
        response = sender.getresponse()
        response.read()
        if response.status == 200:
            acked.add(seq)
    reader.join(timeout=10)
    viewer.close()
    sender.close()
    delays = [(arrived[s] - sent_at[s]) * 1000 for s in acked if s in arrived and s >= 0]
    missing = sum(1 for s in acked if s >= 0 and s not in arrived)
    return {"samples": len(delays), "missing": missing, "p50": percentile(delays, 0.5),
            "p99": percentile(delays, 0.99), "max": max(delays)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--live-seconds", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-ingest-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_RATELIMIT_ENABLED": "false",
                "KEEL_AUTH_REQUIRE_EMAIL_VERIFICATION": "false",
                "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel.db", "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key"})
    log = open(os.path.join(workdir, "keel.log"), "wb")
    process = subprocess.Popen([args.keel, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    results = {}
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        call(conn, "POST", "/api/v1/auth/register", {"email": "owner@example.com", "password": PASSWORD, "name": "o"})
        token = call(conn, "POST", "/api/v1/auth/login",
                     {"email": "owner@example.com", "password": PASSWORD})["access_token"]
        app = call(conn, "POST", "/api/v1/apps", {"name": "bench", "mode": "flag"}, token)
        call(conn, "PUT", f"/api/v1/apps/{app['id']}/rules", RULES, token)
        conn.close()
        key = app["ingest_key"]
        batch = lua(f"{workdir}/batch.lua", "POST", token=key, body={"events": [event(i) for i in range(100)]})
        single = lua(f"{workdir}/single.lua", "POST", token=key, body=event(7))
        dashboard = lua(f"{workdir}/dashboard.lua", "GET", token=token)
        dashboard_path = f"/api/v1/apps/{app['id']}/dashboard?window=1h"

        results["batch"] = run_wrk(port, args.connections, args.duration, 2, path="/api/v1/logs", script=batch)
        print("batches of 100", results["batch"], flush=True)
        results["single"] = run_wrk(port, args.connections, args.duration, 2, path="/api/v1/logs", script=single)
        print("single events", results["single"], flush=True)
        # Dashboard reads while batches keep arriving (16 connections of them, beside the readers' 48).
        background = {}
        ingesting = threading.Thread(target=lambda: background.update(
            run_wrk(port, 16, args.duration + 2, 1, path="/api/v1/logs", script=batch)))
        ingesting.start()
        results["dashboard"] = run_wrk(port, 48, args.duration, 1, path=dashboard_path, script=dashboard)
        ingesting.join()
        results["dashboard_ingest"] = background
        print("dashboard while ingesting", results["dashboard"], background, flush=True)
        # Live latency while batches keep arriving for another app.
        other = call(http.client.HTTPConnection("127.0.0.1", port, timeout=30), "POST", "/api/v1/apps",
                     {"name": "load", "mode": "flag"}, token)
        load = lua(f"{workdir}/load.lua", "POST", token=other["ingest_key"],
                   body={"events": [event(i) for i in range(100)]})
        loading = threading.Thread(target=lambda: run_wrk(port, 16, args.live_seconds + 3, 1, path="/api/v1/logs",
                                                          script=load))
        loading.start()
        results["live"] = live_latency(port, port, key, token, app["id"], args.live_seconds)
        loading.join()
        print("live latency", results["live"], flush=True)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        stored = call(conn, "GET", f"/api/v1/apps/{app['id']}/dashboard?window=1h", token=token)["totals"]
        conn.close()
        print("counted by the rollups:", stored, flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    b, s, d, di = results["batch"], results["single"], results["dashboard"], results["dashboard_ingest"]
    lv = results["live"]
    heading = "## Live Validation Dashboard: ingestion and dashboard reads (one instance, SQLite)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-ingest.sh --connections {args.connections} --duration {args.duration} --live-seconds {args.live_seconds}`.
One Keel with its defaults (access log on, 2 IO threads, SQLite with synchronous=FULL: every event is on disk
before its 200) except `ratelimit.enabled = false`. The app has three event schemas (enum, format, pattern,
nested array items); each batch of 100 has 60 valid events, 30 that break a rule and 10 unplanned ones, in flag
mode, so all are validated, stored with their violations and counted. wrk: 2 threads, {args.connections}
connections, {args.duration} s per row; the dashboard row runs 48 readers beside 16 connections sending batches.
Live latency: single events at 50/s for {args.live_seconds} s while 16 connections send batches of 100 to another
app; the time from sending each request to its `log` event on an open `/live` stream, which bounds the time from
its 200 to the event ({lv['samples']} samples, {lv['missing']} missing).

| what | requests/s | events/s | p50 ms | p99 ms | target |
| --- | --- | --- | --- | --- | --- |
| POST /api/v1/logs, batches of 100 | {b['rps']:,.0f} | {b['rps'] * 100:,.0f} | {b['p50']:.2f} | {b['p99']:.2f} | ≥ 100,000 events/s |
| POST /api/v1/logs, one event | {s['rps']:,.0f} | {s['rps']:,.0f} | {s['p50']:.2f} | {s['p99']:.2f} | ≥ 15,000/s, p99 < 20 ms |
| GET /api/v1/apps/{{id}}/dashboard?window=1h, while ingesting | {d['rps']:,.0f} | | {d['p50']:.2f} | {d['p99']:.2f} | ≥ 10,000/s, p99 < 20 ms |
| … the batches sent meanwhile | {di['rps']:,.0f} | {di['rps'] * 100:,.0f} | {di['p50']:.2f} | {di['p99']:.2f} | |
| live: request sent → `log` event on /live | | | {lv['p50']:.2f} | {lv['p99']:.2f} | p99 < 100 ms |
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
