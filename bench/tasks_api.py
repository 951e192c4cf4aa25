"""Task API benchmark (issue 4): login, authenticated list (page of 20 from 10,000 tasks), task creation.

One Keel instance on SQLite with its defaults (access log on), except rate limiting, which is switched off
because wrk sends everything from one address and one account. 64 connections, wrk with 2 threads.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile

from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section

PASSWORD = "correct horse battery"


def call(conn, method, path, payload=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(payload) if payload is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]}")
    return json.loads(data) if data else None


def account(conn, email):
    call(conn, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": email})
    return call(conn, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["access_token"]


def lua(path, method, token=None, body=None):
    lines = [f'wrk.method = "{method}"', 'wrk.headers["Content-Type"] = "application/json"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=10000)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-tasks-")
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
        reader = account(conn, "reader@example.com")
        for i in range(args.tasks):
            call(conn, "POST", "/api/v1/tasks", {"title": f"task {i}", "priority": ["low", "medium", "high"][i % 3]},
                 reader)
        writer = account(conn, "writer@example.com")
        conn.close()
        # Login last: argon2id work still queued when wrk stops would otherwise eat into the next run.
        runs = [
            (f"GET /api/v1/tasks (page of 20 from {args.tasks:,})", "/api/v1/tasks?per_page=20&page=3",
             lua(f"{workdir}/list.lua", "GET", token=reader)),
            ("POST /api/v1/tasks", "/api/v1/tasks",
             lua(f"{workdir}/create.lua", "POST", token=writer, body={"title": "benchmark task", "priority": "high"})),
            ("POST /api/v1/auth/login", "/api/v1/auth/login",
             lua(f"{workdir}/login.lua", "POST", body={"email": "reader@example.com", "password": PASSWORD})),
        ]
        for name, path, script in runs:
            results[name] = run_wrk(port, args.connections, args.duration, 2, path=path, script=script)
            print(name, results[name], flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    targets = {"POST /api/v1/auth/login": "argon2id, 64 MiB, 2 passes per login: CPU-bound by design",
               "POST /api/v1/tasks": "≥ 5,000 req/s, p99 < 20 ms"}
    rows = "\n".join(
        f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
        f"{targets.get(name, '≥ 10,000 req/s, p99 < 20 ms')} |" for name, r in results.items())
    heading = "## Task API: login, list, create (one instance, SQLite)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-tasks.sh --connections {args.connections} --duration {args.duration} --tasks {args.tasks}`.
One Keel with its defaults (access log on, 2 IO threads, SQLite with synchronous=FULL) except
`ratelimit.enabled = false`: wrk sends every request from one address and one account. wrk: 2 threads,
{args.connections} connections, {args.duration} s per endpoint.

| endpoint | requests/s | p50 ms | p99 ms | target |
| --- | --- | --- | --- | --- |
{rows}
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
