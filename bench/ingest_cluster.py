"""Live Validation Dashboard in the scaled mode (issue 15): ingestion through nginx in front of two keel instances on
PostgreSQL (through pgBouncer) and Redis, started by `keel cluster`; and the live latency across instances (events
sent to one instance, watched on the other's /live, through Redis publish/subscribe)."""
import argparse
import http.client
import os
import shutil
import tempfile
import threading
import time

from benchlib import measured_stamp, run_wrk, write_section
from cluster import Cluster
from ingest import RULES, event, live_latency
from tasks_api import PASSWORD, call, lua


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--live-seconds", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-")
    config_path = os.path.join(workdir, "keel.toml")
    with open(config_path, "w") as f:
        f.write("[ratelimit]\nenabled = false\n[auth]\nrequire_email_verification = false\n[ml]\nmodels = []\n")
    results = {}
    cluster = Cluster(args.keel, 2, config_path)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", cluster.nginx, timeout=30)
        call(conn, "POST", "/api/v1/auth/register", {"email": "owner@example.com", "password": PASSWORD, "name": "o"})
        token = call(conn, "POST", "/api/v1/auth/login",
                     {"email": "owner@example.com", "password": PASSWORD})["access_token"]
        app = call(conn, "POST", "/api/v1/apps", {"name": "bench", "mode": "flag"}, token)
        call(conn, "PUT", f"/api/v1/apps/{app['id']}/rules", RULES, token)
        other = call(conn, "POST", "/api/v1/apps", {"name": "load", "mode": "flag"}, token)
        conn.close()
        batch = lua(f"{workdir}/batch.lua", "POST", token=app["ingest_key"],
                    body={"events": [event(i) for i in range(100)]})
        single = lua(f"{workdir}/single.lua", "POST", token=app["ingest_key"], body=event(7))
        for name, script in (("batch", batch), ("single", single)):
            run_wrk(cluster.nginx, args.connections, 3, 2, path="/api/v1/logs", script=script)  # warm-up
            results[name] = run_wrk(cluster.nginx, args.connections, args.duration, 2, path="/api/v1/logs",
                                    script=script)
            print(name, results[name], flush=True)
        load = lua(f"{workdir}/load.lua", "POST", token=other["ingest_key"],
                   body={"events": [event(i) for i in range(100)]})
        time.sleep(2)  # the last second's rollups and live stats settle
        loading = threading.Thread(target=lambda: run_wrk(cluster.nginx, 16, args.live_seconds + 3, 1,
                                                          path="/api/v1/logs", script=load))
        loading.start()
        results["live"] = live_latency(cluster.api[0], cluster.api[1], app["ingest_key"], token, app["id"],
                                       args.live_seconds)
        loading.join()
        print("live across instances", results["live"], flush=True)
    finally:
        cluster.down()
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    b, s, lv = results["batch"], results["single"], results["live"]
    heading = "## Live Validation Dashboard, scaled out: two instances on PostgreSQL + Redis"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-ingest-cluster.sh --connections {args.connections} --duration {args.duration} --live-seconds {args.live_seconds}`.
`keel cluster up --instances 2 --workers 0` (PostgreSQL 15 with fsync on, pgBouncer in transaction mode, Redis,
nginx), rate limits off; the same app, rules and batches as the one-instance section. Every event is committed by
PostgreSQL before its 200. Each row follows a 3 s warm-up. Live: single events at 50/s sent to one instance while
16 connections send batches to another app through nginx, watched on the other instance's `/live` (Redis
publish/subscribe between them): {lv['samples']} samples, {lv['missing']} missing.

| what | requests/s | events/s | p50 ms | p99 ms | target |
| --- | --- | --- | --- | --- | --- |
| POST /api/v1/logs through nginx, batches of 100 | {b['rps']:,.0f} | {b['rps'] * 100:,.0f} | {b['p50']:.2f} | {b['p99']:.2f} | beside the one-instance figures |
| POST /api/v1/logs through nginx, one event | {s['rps']:,.0f} | {s['rps']:,.0f} | {s['p50']:.2f} | {s['p99']:.2f} | |
| live across instances: request sent → `log` event | | | {lv['p50']:.2f} | {lv['p99']:.2f} | p99 < 100 ms |
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
