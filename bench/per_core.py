"""Issue 20's goals in one run: every ratio and figure the issue asks for, measured back to back on this machine
and printed as one table (goal, measured, target, met). Each part is the same measurement as its own benchmark,
shorter; the separate scripts (bench/run.sh, run-predict.sh, run-idle-connections.sh, run-startup.sh,
run-cluster.sh, run-prediction-stats.sh) give the details and write docs/benchmarks.md.

  1. /health per core: Keel with one IO thread vs nginx with one worker, wrk -t1 -c64, access logs off and on,
     rounds alternating between the four servers; and what the access log costs each.
  2. Predictions: uncached (random houses, cache off) and cached (16 houses repeated), each against /health of
     the same process, with Keel's defaults (two IO threads, access log and prediction log on).
  3. Task creation on PostgreSQL through pgBouncer (`keel cluster up`, one instance, fsync on), wrk -t2 -c64.
  4. Idle keep-alive connections: memory each, /health p99 while they are held.
  5. Start-up to /ready with the defaults.
The stats windows (< 50 ms at 10 million predictions) take minutes to set up; run bench/run-prediction-stats.sh.
"""
import argparse
import http.client
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import cluster
import health_vs_nginx
import idle_connections
import predict
import startup
from benchlib import measured_stamp, run_wrk, write_section
from tasks_api import account, lua

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING = "## Per core (issue 20): every goal in one run"


def per_core_health(keel, rounds, duration):
    results = health_vs_nginx.measure(keel, 1, 64, duration, rounds, 1)
    ratio = lambda name, base: health_vs_nginx.round_ratio(results, name, base)
    return [("/health vs nginx, access logs off", ratio("keel", "nginx"), 0.9, ">="),
            ("/health vs nginx, access logs on", ratio("keel, access log on", "nginx, access log on"), 0.9, ">="),
            ("Keel's access log cost", 1 - ratio("keel, access log on", "keel"), 0.05, "<="),
            ("(nginx's access log cost)", 1 - ratio("nginx, access log on", "nginx"), None, "")]


def predictions(keel, duration):
    workdir = tempfile.mkdtemp(prefix="keel-bench-per-core-")
    try:
        models = os.path.join(workdir, "models")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        env["KEEL_ML_MODEL_DIR"] = models
        subprocess.run([keel, "train", "property", "--data", os.path.join(ROOT, "data", "ames_housing.csv")],
                       capture_output=True, env=env, check=True)
        rows = []
        for name, extra, text, target in (("uncached predictions vs /health", {"KEEL_ML_CACHE_ENABLED": "false"},
                                           predict.RANDOM_LUA, 0.5),
                                          ("cached predictions vs /health", {}, predict.CACHED_LUA, 0.8)):
            script = os.path.join(workdir, "predict.lua")
            with open(script, "w") as f:
                f.write(text)
            port, process = predict.serve(keel, workdir, models, extra)
            try:
                predicted = run_wrk(port, 64, duration, 2, path="/api/v1/property/predict", script=script)
                health = run_wrk(port, 64, duration, 2, path="/health")
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
            print(name, predicted, health, flush=True)
            rows.append((name, predicted["rps"] / health["rps"], target, ">="))
        return rows
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def postgres_creates(keel, duration):
    workdir = tempfile.mkdtemp(prefix="keel-bench-per-core-")
    config_path = os.path.join(workdir, "keel.toml")
    with open(config_path, "w") as f:
        f.write("[ratelimit]\nenabled = false\n[auth]\nrequire_email_verification = false\n[ml]\nmodels = []\n")
    scaled = cluster.Cluster(keel, 1, config_path)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", scaled.api[0], timeout=30)
        token = account(conn, "writer@example.com")
        conn.close()
        script = lua(f"{workdir}/create.lua", "POST", token=token, body={"title": "benchmark task", "priority": "high"})
        run_wrk(scaled.api[0], 64, 3, 2, path="/api/v1/tasks", script=script)  # warm-up
        result = run_wrk(scaled.api[0], 64, duration, 2, path="/api/v1/tasks", script=script)
        print("task creates", result, flush=True)
    finally:
        scaled.down()
        shutil.rmtree(workdir, ignore_errors=True)
    return [("task creates/s on PostgreSQL", result["rps"], 5000, ">="),
            ("task create p99 ms on PostgreSQL", result["p99"], 20, "<=")]


def idle(keel, connections, duration):
    before, after, loaded = idle_connections.measure(keel, connections, duration)
    print("idle", before, after, loaded, flush=True)
    return [(f"KiB per idle connection ({connections:,} held)", (after - before) / connections, 4.0, "<="),
            ("/health p99 ms meanwhile", loaded["p99"], 10, "<=")]


def start_up(keel):
    _, ready = startup.measure(keel, 5)
    return [("start-up to /ready, median ms", statistics.median(ready), 200, "<=")]


def met(value, target, sense):
    if target is None:
        return ""
    return "yes" if (value >= target if sense == ">=" else value <= target) else "no"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the /health comparison")
    parser.add_argument("--connections", type=int, default=19000, help="idle connections held")
    parser.add_argument("--out", help="docs/benchmarks.md, to record the table there")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run scripts/install-deps.sh")

    started = time.monotonic()
    rows = []
    rows += per_core_health(args.keel, args.rounds, args.duration)
    rows += predictions(args.keel, args.duration)
    rows += postgres_creates(args.keel, args.duration)
    rows += idle(args.keel, args.connections, args.duration)
    rows += start_up(args.keel)
    when, commit = measured_stamp()
    table = []
    for name, value, target, sense in rows:
        # Ratios with three decimals, so a "no" at 0.897 does not read as 0.90.
        shown = f"{value:.1%}" if "cost" in name else (f"{value:,.0f}" if value >= 100 else f"{value:.3f}")
        wanted = "" if target is None else f"{sense} " + (f"{target:.0%}" if "cost" in name else f"{target:g}")
        table.append(f"| {name} | {shown} | {wanted} | {met(value, target, sense)} |")
    section = f"""{HEADING}

Measured {when} at commit `{commit}` on this project's 2-core machine, in {time.monotonic() - started:.0f} s.
Command: `bench/run-per-core.sh --duration {args.duration} --rounds {args.rounds}`. Each row is a shorter run
of the benchmark named in its own section below (see `bench/per_core.py` for what each part runs).

| goal | measured | target | met |
| --- | --- | --- | --- |
{chr(10).join(table)}
"""
    print(section)
    if args.out:
        write_section(args.out, HEADING, section)


if __name__ == "__main__":
    main()
