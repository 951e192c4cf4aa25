"""Job queue benchmark (issue 5): enqueue + complete throughput of a no-op job, and enqueue-to-start latency.

One `keel serve` on SQLite (synchronous=FULL) with its in-process workers. Jobs are enqueued over HTTP
(POST /api/v1/debug/jobs, one job per request, each one durable before its 201) by wrk while the workers run
them; every job's created_at, started_at and finished_at come from its row afterwards.

- throughput: wrk at full speed for --duration seconds; jobs completed per second over the whole window from
  the first enqueue to the last completion (so a backlog left at the end counts against it).
- latency: enqueue-to-start (started_at - created_at) at a paced rate below capacity (--rate jobs/s from
  Python threads), where a queue should add little delay; and the same figure in the full-speed run, where
  a backlog is expected.
"""
import argparse
import http.client
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_drained(db_path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db = sqlite3.connect(db_path, timeout=30)
        live = db.execute("SELECT COUNT(*) FROM jobs WHERE state NOT IN ('completed', 'discarded', 'cancelled')").fetchone()[0]
        db.close()
        if live == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("jobs did not drain")


def rows(db_path, tag):
    db = sqlite3.connect(db_path, timeout=30)
    result = db.execute("SELECT created_at, started_at, finished_at, state FROM jobs WHERE json_extract(args, '$.tag') = ?",
                        (tag,)).fetchall()
    db.close()
    return result


def paced(port, rate, seconds, threads=4):
    """Enqueues `rate` jobs per second for `seconds`, spread over `threads` keep-alive connections."""
    body = '{"kind":"debug.noop","args":{"tag":"paced"}}'
    per_thread = rate / threads
    errors = []

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        start = time.monotonic()
        sent = 0
        while time.monotonic() - start < seconds:
            due = start + sent / per_thread
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            conn.request("POST", "/api/v1/debug/jobs", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                errors.append(response.status)
            sent += 1
        conn.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise RuntimeError(f"{len(errors)} enqueues failed: {errors[:5]}")


def summarize(found):
    done = [r for r in found if r[3] == "completed"]
    delays = [r[1] - r[0] for r in done]
    window = (max(r[2] for r in done) - min(r[0] for r in done)) / 1000
    return {"jobs": len(done), "window_s": window, "jobs_per_s": len(done) / window,
            "p50_ms": percentile(delays, 50), "p99_ms": percentile(delays, 99)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--queue", default="default:1-32", help="jobs.queues entry for the default queue")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-jobs-")
    db_path = os.path.join(workdir, "keel.db")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_RATELIMIT_ENABLED": "false", "KEEL_DEBUG_ROUTES": "true",
                "KEEL_LOG_ACCESS": "false", "KEEL_DATABASE_URL": f"sqlite://{db_path}",
                "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key", "KEEL_JOBS_QUEUES": args.queue})
    log = open(os.path.join(workdir, "keel.log"), "wb")
    process = subprocess.Popen([args.keel, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process)
        script = os.path.join(workdir, "enqueue.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    'wrk.body = \'{"kind":"debug.noop","args":{"tag":"burst"}}\'\n')
        http_side = run_wrk(port, args.connections, args.duration, 1, path="/api/v1/debug/jobs", script=script)
        wait_drained(db_path)
        burst = summarize(rows(db_path, "burst"))
        burst["enqueue_rps"] = http_side["rps"]
        burst["enqueue_p99_ms"] = http_side["p99"]
        print("burst", burst, flush=True)
        paced(port, args.rate, args.duration)
        wait_drained(db_path)
        steady = summarize(rows(db_path, "paced"))
        print("paced", steady, flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    heading = "## Job queue: no-op jobs, enqueue to completion (one instance, SQLite)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-jobs.sh --connections {args.connections} --duration {args.duration} --rate {args.rate} --queue {args.queue}`.
One `keel serve` (SQLite, synchronous=FULL, access log off) running its workers in-process; `jobs.queues`
default entry `{args.queue}`. Each job is enqueued by one HTTP request (durable before its 201), claimed with
a lease, run, and completed with its fencing token: three durable writes per job, group-committed. Times come
from each job's row.

| run | jobs | jobs/s (enqueue → completed) | enqueue-to-start p50 ms | p99 ms |
| --- | --- | --- | --- | --- |
| full speed: wrk, 1 thread, {args.connections} connections, {args.duration} s (HTTP enqueue {burst['enqueue_rps']:,.0f} req/s, p99 {burst['enqueue_p99_ms']:.1f} ms) | {burst['jobs']:,} | {burst['jobs_per_s']:,.0f} | {burst['p50_ms']:.0f} | {burst['p99_ms']:.0f} |
| paced: {args.rate:,} jobs/s for {args.duration} s | {steady['jobs']:,} | {steady['jobs_per_s']:,.0f} | {steady['p50_ms']:.0f} | {steady['p99_ms']:.0f} |

Targets (issue 5): at least 5,000 jobs/s; enqueue-to-start p99 under 50 ms (below capacity). For scale:
graphile-worker (PostgreSQL) reports about 700 jobs/s, Sidekiq (Redis) 23,500 no-op jobs/s.
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
