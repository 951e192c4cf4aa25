"""Start-up time (issue 20): from exec of `keel serve` to its first 200 from /health (listening) and from /ready
(every dependency checked, the default model loaded), with `make run`'s defaults: a working directory prepared as
`make run` prepares it (migrate, train the property model, seed SIPREMS's catalogue), then ten starts, each
stopped with SIGTERM once ready. The probe polls every 2 ms over fresh connections.
"""
import argparse
import os
import signal
import statistics
import subprocess
import tempfile
import time

from benchlib import free_port, measured_stamp, wait_http, write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING = "## Start-up: `keel serve` to /ready with the defaults"


def one_start(keel, workdir, env):
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([keel, "serve", "--port", str(port)], cwd=workdir, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process, timeout=30, interval=0.002)
        healthy = time.monotonic() - started
        wait_http(f"http://127.0.0.1:{port}/ready", process, timeout=30, interval=0.002)
        return healthy, time.monotonic() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def measure(keel, starts):
    """Milliseconds from exec to /health and to /ready, each sorted, over `starts` starts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    with tempfile.TemporaryDirectory(prefix="keel-startup-") as workdir:
        os.symlink(os.path.join(ROOT, "data"), os.path.join(workdir, "data"))
        os.makedirs(os.path.join(workdir, "var"))
        for step in (["migrate"], ["train", "property", "--data", "data/ames_housing.csv", "--if-missing"],
                     ["siprems", "seed", "--if-empty"]):
            subprocess.run([keel] + step, cwd=workdir, env=env, check=True, capture_output=True)
        one_start(keel, workdir, env)  # the first start after seeding may still settle files; not counted
        runs = [one_start(keel, workdir, env) for _ in range(starts)]
    return sorted(r[0] * 1000 for r in runs), sorted(r[1] * 1000 for r in runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out")
    parser.add_argument("--starts", type=int, default=10)
    args = parser.parse_args()
    health, ready = measure(args.keel, args.starts)
    when, commit = measured_stamp()
    section = f"""{HEADING}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command: `bench/run-startup.sh`.
A working directory prepared as `make run` prepares it (migrations, the trained property model, SIPREMS's
catalogue), then {args.starts} starts of `keel serve` with its defaults, each timed from exec to the first 200
of /health and of /ready (polled every 2 ms), then stopped with SIGTERM. Target (issue 20): /ready < 200 ms.

| to | median ms | fastest ms | slowest ms |
| --- | --- | --- | --- |
| /health (listening) | {statistics.median(health):.0f} | {health[0]:.0f} | {health[-1]:.0f} |
| /ready | {statistics.median(ready):.0f} | {ready[0]:.0f} | {ready[-1]:.0f} |
"""
    print(section)
    if args.out:
        write_section(args.out, HEADING, section)


if __name__ == "__main__":
    main()
