"""Idle keep-alive connections (issue 20): the memory each costs Keel, and /health's latency while they are held.

One Keel with its defaults (SQLite, two IO threads, access log on). Each of N connections sends one /health
request, reads the answer and then stays open and silent, as a browser's kept-alive connection does. Memory per
connection is the growth of Keel's resident set (VmRSS) from before the connections were opened to after, divided
by N; then wrk measures /health over 64 more connections while the N are held, and the held connections are
checked to be still open (each answers a second request).
"""
import argparse
import os
import resource
import selectors
import signal
import socket
import subprocess
import tempfile
import time

from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section

HEADING = "## Idle keep-alive connections: memory each and /health meanwhile"
REQUEST = b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def exchange(sockets, timeout=60):
    """Sends one /health request on every socket and waits for every answer's end (the 20-byte body)."""
    selector = selectors.DefaultSelector()
    pending = {}
    for s in sockets:
        s.sendall(REQUEST)
        selector.register(s, selectors.EVENT_READ)
        pending[s] = b""
    deadline = time.monotonic() + timeout
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} connections did not answer")
        for key, _ in selector.select(timeout=1):
            s = key.fileobj
            data = s.recv(4096)
            if not data:
                raise RuntimeError("a held connection was closed by the server")
            pending[s] += data
            if pending[s].endswith(b'{"status":"healthy"}'):
                selector.unregister(s)
                del pending[s]
    selector.close()


def measure(keel, connections, duration):
    """Keel's RSS in KiB before and after `connections` idle connections, and wrk's /health result meanwhile."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if connections + 100 > hard:
        raise SystemExit(f"{connections} connections need a descriptor limit above {hard}")

    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    held = []
    with tempfile.TemporaryDirectory(prefix="keel-idle-") as workdir:
        port = free_port()
        env.update({"KEEL_SERVER_PORT": str(port), "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel.db",
                    "KEEL_RATELIMIT_ENABLED": "false"})
        log = open(os.path.join(workdir, "keel.log"), "wb")
        process = subprocess.Popen([keel, "serve"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_http(f"http://127.0.0.1:{port}/health", process)
            run_wrk(port, 64, 2, 1)  # warm: threads, arenas and metric handles exist before the baseline
            time.sleep(0.5)
            before = rss_kib(process.pid)
            for i in range(connections):
                s = socket.create_connection(("127.0.0.1", port))
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                held.append(s)
            exchange(held)
            time.sleep(2.5)  # Keel parks connections idle for a second (its sweep runs every 250 ms)
            after = rss_kib(process.pid)
            loaded = run_wrk(port, 64, duration, 1)
            exchange(held)  # still open, still served
            for s in held:
                s.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    return before, after, loaded


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out")
    parser.add_argument("--connections", type=int, default=19000)
    parser.add_argument("--duration", type=int, default=6)
    args = parser.parse_args()
    before, after, loaded = measure(args.keel, args.connections, args.duration)
    per_connection = (after - before) * 1024 / args.connections
    when, commit = measured_stamp()
    section = f"""{HEADING}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-idle-connections.sh --connections {args.connections}`. One Keel with its defaults (two IO threads, access
log on, SQLite); {args.connections:,} connections each send one /health and then stay open and silent; Keel's
resident set grows by the connections' memory. Then wrk (`-t1 -c64`, {args.duration} s) measures /health while
they are held, and each held connection answers a second request afterwards. Targets (issue 20): at most 4 KB per
idle connection, /health p99 under 10 ms meanwhile.

| idle connections | Keel RSS before / after | per connection | /health meanwhile | p50 / p99 ms |
| --- | --- | --- | --- | --- |
| {args.connections:,} | {before / 1024:.1f} / {after / 1024:.1f} MiB | {per_connection / 1024:.2f} KiB | {loaded['rps']:,.0f} requests/s | {loaded['p50']:.2f} / {loaded['p99']:.2f} |
"""
    print(section)
    if args.out:
        write_section(args.out, HEADING, section)


if __name__ == "__main__":
    main()
