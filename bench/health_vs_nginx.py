"""Keel /health vs nginx `return 200` with the same body and the same number of workers, measured with wrk.

Both servers run on loopback at the same time, rounds alternate between them, and the median round of each is
reported, so the ratio is measured under the same machine load. Results go to docs/benchmarks.md.
"""
import argparse
import functools
import os
import shutil
import signal
import statistics
import subprocess
import tempfile

from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section

BODY = '{"status":"healthy"}'


def start_keel(binary, workdir, threads, access_log):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_SERVER_IO_THREADS": str(threads),
                "KEEL_LOG_ACCESS": "true" if access_log else "false",
                "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel.db"})
    log = open(os.path.join(workdir, f"keel-{port}.log"), "wb")
    process = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    wait_http(f"http://127.0.0.1:{port}/health", process)
    return process, port


def start_nginx(workdir, threads, access_log):
    port = free_port()
    prefix = os.path.join(workdir, f"nginx-{port}")
    os.makedirs(os.path.join(prefix, "logs"))
    conf = os.path.join(prefix, "nginx.conf")
    # Buffered like Keel's (a block written every 100 ms or when 256 KiB wait), to a file like Keel's stdout.
    access = f"{prefix}/logs/access.log combined buffer=256k flush=100ms" if access_log else "off"
    with open(conf, "w") as f:
        f.write(f"""
worker_processes {threads};
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {access};
  keepalive_requests 1000000;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port} reuseport;
    location = /health {{
      default_type application/json;
      return 200 '{BODY}';
    }}
  }}
}}
""")
    process = subprocess.Popen(["nginx", "-p", prefix, "-c", conf], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    wait_http(f"http://127.0.0.1:{port}/health", process)
    return process, port


def median_round(rounds):
    ordered = sorted(rounds, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


def stop(process):
    process.send_signal(signal.SIGTERM if process.args[0] != "nginx" else signal.SIGQUIT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Each server's rival in the "vs nginx" column: nginx with the same access-log setting.
VERSUS = {"keel": "nginx", "keel, access log on": "nginx, access log on",
          "nginx": "nginx", "nginx, access log on": "nginx, access log on"}


def measure(keel, threads, connections, duration, rounds, wrk_threads):
    """wrk results per server ("keel", "keel, access log on", "nginx", "nginx, access log on"), one per round."""
    workdir = tempfile.mkdtemp(prefix="keel-bench-")
    servers = {}
    try:
        servers["keel"] = start_keel(keel, workdir, threads, access_log=False)
        servers["keel, access log on"] = start_keel(keel, workdir, threads, access_log=True)
        servers["nginx"] = start_nginx(workdir, threads, access_log=False)
        servers["nginx, access log on"] = start_nginx(workdir, threads, access_log=True)
        results = {name: [] for name in servers}
        for round_index in range(rounds):
            for name, (_, port) in servers.items():
                results[name].append(run_wrk(port, connections, duration, wrk_threads))
                print(f"round {round_index + 1} {name}: {results[name][-1]}", flush=True)
    finally:
        for process, _ in servers.values():
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def round_ratio(results, name, base):
    """Median over rounds of name's rate / base's rate. Each round measures every server back to back, so a
    round's ratio shares that moment's machine load: steadier than a ratio of medians on this shared machine."""
    return statistics.median(r["rps"] / b["rps"] for r, b in zip(results[name], results[base]))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=1, help="Keel IO threads = nginx worker processes")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--wrk-threads", type=int, default=1)
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run scripts/install-deps.sh")

    results = measure(args.keel, args.threads, args.connections, args.duration, args.rounds, args.wrk_threads)
    best = {name: median_round(rounds) for name, rounds in results.items()}
    ratio = functools.partial(round_ratio, results)
    keel_log_cost = 1 - ratio("keel, access log on", "keel")
    nginx_log_cost = 1 - ratio("nginx, access log on", "nginx")
    when, commit = measured_stamp()
    command = (f"bench/run.sh --threads {args.threads} --connections {args.connections} "
               f"--duration {args.duration} --rounds {args.rounds} --wrk-threads {args.wrk_threads}")
    rows = "\n".join(
        f"| {name} | {args.threads} | {r['rps']:,.0f} | {r['p50']:.3f} | {r['p99']:.3f} | "
        f"{ratio(name, VERSUS[name]):.2f} |"
        for name, r in best.items())
    heading = f"## /health: Keel vs nginx `return 200`, {args.threads} worker(s)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's machine (2 cores, shared and noisy: compare the ratio, not
the absolute numbers). Command: `{command}`. wrk with {args.wrk_threads} thread(s) and {args.connections} keep-alive
connections, {args.duration} s per round, {args.rounds} rounds alternating between the servers; the median round of
each server is shown, and "vs nginx" is the median of the per-round ratios to nginx with the same access-log
setting. nginx serves the same 20-byte JSON body with {args.threads} worker process(es), its access log off or
`combined` lines to a file (`buffer=256k flush=100ms`); Keel runs {args.threads} IO thread(s), its access log off
or JSON lines to a file (stdout redirected).

| server | workers | requests/s | p50 ms | p99 ms | vs nginx |
| --- | --- | --- | --- | --- | --- |
{rows}

The access log costs Keel {keel_log_cost:.1%} of its throughput and nginx {nginx_log_cost:.1%} (median of the
per-round ratios).
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
