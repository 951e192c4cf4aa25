"""Runs the seed's load test (bench/locustfile.py) against one Keel on SQLite with the seed's rate limits on and
e-mail verification required, and records the figures in docs/benchmarks.md."""
import argparse
import csv
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile

from benchlib import free_port, measured_stamp, wait_http, write_section

ADMIN_PASSWORD = "an administrator's password"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rate", type=float, default=40.0, help="requests/s of all users together")
    parser.add_argument("--duration", type=int, default=120, help="seconds")
    parser.add_argument("--argon2-memory-kib", type=int, default=65536)
    parser.add_argument("--argon2-ops", type=int, default=2)
    parser.add_argument("--login-per-hour", type=int, default=1000,
                        help="Keel's own per-account login throttle (not one of the seed's limits)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-locust-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel.db",
                "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key", "KEEL_SERVER_TRUSTED_PROXIES": "127.0.0.1",
                "KEEL_AUTH_ARGON2_MEMORY_KIB": str(args.argon2_memory_kib),
                "KEEL_AUTH_ARGON2_OPS": str(args.argon2_ops),
                "KEEL_RATELIMIT_LOGIN_PER_HOUR": str(args.login_per_hour)})
    created = subprocess.run([args.keel, "users", "create", "--email", "admin@example.com", "--admin"],
                             env={**env, "KEEL_USER_PASSWORD": ADMIN_PASSWORD}, cwd=workdir, capture_output=True,
                             text=True)
    if created.returncode != 0:
        raise RuntimeError(created.stderr)
    log = open(os.path.join(workdir, "keel.log"), "wb")
    process = subprocess.Popen([args.keel, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/api/v1/auth/login", body=json.dumps({"email": "admin@example.com",
                                                                     "password": ADMIN_PASSWORD}),
                     headers={"Content-Type": "application/json"})
        token = json.loads(conn.getresponse().read())["access_token"]
        conn.close()
        locust_env = {**os.environ, "KEEL_BENCH_ADMIN_TOKEN": token,
                      "KEEL_BENCH_USER_RATE": str(args.rate / args.users)}
        prefix = os.path.join(workdir, "stats")
        subprocess.run(["locust", "-f", os.path.join(os.path.dirname(__file__), "locustfile.py"), "--headless",
                        "-u", str(args.users), "-r", str(max(1, args.users // 10)), "-t", f"{args.duration}s",
                        "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary"],
                       env=locust_env, check=False, capture_output=True)
        with open(prefix + "_stats.csv") as f:
            stats = list(csv.DictReader(f))
        metrics = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/metrics"], capture_output=True,
                                 text=True).stdout
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    caches = {}
    for line in metrics.splitlines():
        for kind in ("hits", "misses"):
            prefix = f"keel_validation_cache_{kind}_total{{cache=\""
            if line.startswith(prefix):
                name = line[len(prefix):line.index('"', len(prefix))]
                caches.setdefault(name, {"hits": 0.0, "misses": 0.0})[kind] += float(line.rsplit(" ", 1)[1])
    hits = sum(c["hits"] for c in caches.values())
    misses = sum(c["misses"] for c in caches.values())
    per_cache = ", ".join(f"{name} {100.0 * c['hits'] / max(1.0, c['hits'] + c['misses']):.0f}% of "
                          f"{c['hits'] + c['misses']:,.0f}" for name, c in sorted(caches.items()))
    seed = ["/auth/login", "/auth/register", "/api/logs", "/dashboard"]
    rows = [r for r in stats if r["Name"] in seed]
    total = sum(int(r["Request Count"]) for r in rows)
    failures = sum(int(r["Failure Count"]) for r in rows)
    lines = "\n".join(
        f"| {r['Name']} | {int(r['Request Count']):,} | {int(r['Failure Count'])} | {r['50%']} | {r['95%']} | "
        f"{r['99%']} |" for r in rows)
    aggregated = next(r for r in stats if r["Name"] == "Aggregated")
    when, commit = measured_stamp()
    heading = "## Live Validation Dashboard: the seed's load test (locust)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-locust.sh --users {args.users} --rate {args.rate:g} --duration {args.duration} --argon2-memory-kib {args.argon2_memory_kib} --argon2-ops {args.argon2_ops} --login-per-hour {args.login_per_hour}`.
Debian's locust ({args.users} users, {args.rate:g} requests/s together: twice the seed's peak of 20/s) against one Keel
on SQLite with its defaults: the seed's rate limits on (each user speaks from its own address through
X-Forwarded-For), e-mail verification required, argon2id with {args.argon2_memory_kib // 1024} MiB and {args.argon2_ops}
passes per password hash (register and login each hash once). Keel's own per-account login throttle (not one of
the seed's limits; 100/hour by default) is {args.login_per_hour}/hour here: the seed's mix logs each user in about
ten times a minute. Each user signs up first (register, the mailed code
read from the outbox, verify, login, an app with rules), then runs the seed's mix: login 20, register 10, logs 40,
dashboard 30, for {args.duration} s. Times in ms.

| endpoint | requests | failures | p50 | p95 | p99 |
| --- | --- | --- | --- | --- | --- |
{lines}
| all four | {total:,} | {failures} | | | |

Over every request of the run (sign-ups and the harness's outbox reads included): p50 {aggregated['50%']} ms, p95 {aggregated['95%']} ms, p99
{aggregated['99%']} ms; error rate {100.0 * failures / max(1, total):.2f}% (target < 0.1%; latency targets p50 < 100,
p95 < 300, p99 < 500). Validation cache hit ratio: {100.0 * hits / max(1.0, hits + misses):.1f}% (target 70–80%); by
cache: {per_cache}. A dashboard answer is kept one second (the rollups change every second), and each user here
reads its own every few seconds, so that cache mostly misses.
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
