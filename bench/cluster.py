"""Scaled-out benchmark (issue 6): the Task API through nginx in front of 1, 2 and 3 keel instances on
PostgreSQL (through pgBouncer) and Redis, all started by `keel cluster` on this machine; plus one instance
without nginx, for the single-instance target. Besides throughput and latency it measures where the CPU goes
(CPU milliseconds per 1,000 requests for keel, nginx, pgBouncer, PostgreSQL and Redis, from /proc), which is
what projects the figures to machines with more cores.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

from benchlib import measured_stamp, run_wrk, write_section
from tasks_api import PASSWORD, call, lua

COMPONENTS = {"keel": "keel", "nginx": "nginx", "pgbouncer": "pgbouncer", "postgres": "postgres",
              "redis": "redis-server"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_component():
    """CPU seconds used so far by every process of each component (by command name)."""
    totals = dict.fromkeys(COMPONENTS, 0.0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        for component, name in COMPONENTS.items():
            if comm == name:
                totals[component] += (int(fields[11]) + int(fields[12])) / TICKS
    return totals


def measure(port, connections, duration, path, script):
    before = cpu_by_component()
    result = run_wrk(port, connections, duration, 2, path=path, script=script)
    after = cpu_by_component()
    requests = result["rps"] * duration
    result["cpu_ms_per_1k"] = {c: (after[c] - before[c]) * 1000 / requests * 1000 for c in COMPONENTS}
    return result


class Cluster:
    """`keel cluster up` under a temporary directory: nginx's port, the API instances' ports, and the KEEL_*
    settings of cluster.env (database URLs)."""

    def __init__(self, keel, instances, config_path, workers=0, redis="single"):
        self.keel = keel
        self.dir = tempfile.mkdtemp(prefix="keel-bench-cluster-")
        os.chmod(self.dir, 0o755)
        started = subprocess.run([keel, "cluster", "up", "--dir", self.dir, "--instances", str(instances),
                                  "--workers", str(workers), "--port", "0", "--rate", "10000000", "--burst", "10000000",
                                  "--no-access-log", "--config", config_path, "--redis", redis],
                                 capture_output=True, text=True)
        if started.returncode != 0:
            raise RuntimeError(started.stdout + started.stderr)
        with open(os.path.join(self.dir, "cluster.json")) as f:
            state = json.load(f)
        self.nginx = next(p["port"] for p in state["processes"] if p["name"] == "nginx")
        self.api = [p["port"] for p in state["processes"] if p["kind"] == "api"]
        self.processes = state["processes"]
        with open(os.path.join(self.dir, "cluster.env")) as f:
            self.settings = dict(line.strip().split("=", 1) for line in f if "=" in line)

    def down(self):
        subprocess.run([self.keel, "cluster", "down", "--dir", self.dir], capture_output=True, check=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    import http.client
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--instances", default="1,2,3")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-")
    config_path = os.path.join(workdir, "keel.toml")
    with open(config_path, "w") as f:
        # Rate limits off: wrk sends everything from one address and one account. Otherwise the defaults.
        f.write("[ratelimit]\nenabled = false\n[auth]\nrequire_email_verification = false\n[ml]\nmodels = []\n")
    rows = []
    for instances in [int(n) for n in args.instances.split(",")]:
        cluster = Cluster(args.keel, instances, config_path)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", cluster.nginx, timeout=30)
            call(conn, "POST", "/api/v1/auth/register", {"email": "reader@example.com", "password": PASSWORD,
                                                         "name": "reader"})
            reader = call(conn, "POST", "/api/v1/auth/login",
                          {"email": "reader@example.com", "password": PASSWORD})["access_token"]
            for i in range(args.tasks):
                call(conn, "POST", "/api/v1/tasks", {"title": f"task {i}", "priority": ["low", "medium", "high"][i % 3]},
                     reader)
            call(conn, "POST", "/api/v1/auth/register", {"email": "writer@example.com", "password": PASSWORD,
                                                         "name": "writer"})
            writer = call(conn, "POST", "/api/v1/auth/login",
                          {"email": "writer@example.com", "password": PASSWORD})["access_token"]
            conn.close()
            # Let PostgreSQL's background work after the bulk insert (autovacuum, checkpoint) settle first.
            time.sleep(5)
            list_script = lua(f"{workdir}/list.lua", "GET", token=reader)
            create_script = lua(f"{workdir}/create.lua", "POST", token=writer,
                                body={"title": "benchmark task", "priority": "high"})
            runs = [("GET /api/v1/tasks (page of 20)", "/api/v1/tasks?per_page=20&page=3", list_script),
                    ("POST /api/v1/tasks", "/api/v1/tasks", create_script),
                    ("GET /health", "/health", None)]
            targets = [("nginx", cluster.nginx)]
            if instances == 1:
                targets.append(("direct", cluster.api[0]))
            for via, port in targets:
                for name, path, script in runs:
                    # Steady state: the first seconds after set-up (new upstream connections, cold caches) had
                    # a p99 of several hundred ms through nginx that later runs did not.
                    run_wrk(port, args.connections, 3, 2, path=path, script=script)
                    result = measure(port, args.connections, args.duration, path, script)
                    rows.append((instances, via, name, result))
                    print(instances, via, name, {k: v for k, v in result.items() if k != "cpu_ms_per_1k"},
                          {k: round(v, 1) for k, v in result["cpu_ms_per_1k"].items()}, flush=True)
        finally:
            cluster.down()
    shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    table = "\n".join(
        f"| {n} | {via} | {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
        + " | ".join(f"{r['cpu_ms_per_1k'][c]:.0f}" for c in COMPONENTS) + " |"
        for n, via, name, r in rows)
    heading = "## Scaled out: Task API through nginx, 1-3 instances on PostgreSQL + Redis"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-cluster.sh --connections {args.connections} --duration {args.duration} --tasks {args.tasks}`.
`keel cluster up --instances N --workers 0` (PostgreSQL 15 with fsync on, pgBouncer in transaction mode,
Redis, N keel instances with 2 IO threads each, nginx with 2 workers, its access log off); keel's defaults
otherwise (its access log on) but rate limits off, as wrk sends everything from one address and one account.
"direct" is the same single instance without nginx (still PostgreSQL through pgBouncer and Redis). The list is
page 3 of 20 from {args.tasks:,} tasks of one user: after the first request it is served from the Redis cache
(a generation key plus the page); the create is an INSERT committed by PostgreSQL plus the cache generation bump.
Each run follows a 3 s warm-up of the same requests. CPU columns: CPU milliseconds per 1,000 requests, per
component, from /proc (all processes of each).

| instances | via | endpoint | requests/s | p50 ms | p99 ms | keel | nginx | pgbouncer | postgres | redis |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{table}
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
