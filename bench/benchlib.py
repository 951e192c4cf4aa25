"""Helpers shared by the benchmark drivers: ports, waiting for servers, running wrk, writing docs/benchmarks.md."""
import datetime
import os
import re
import socket
import subprocess
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, process, timeout=15, interval=0.05):
    """Polls url every `interval` seconds until it answers 200; raises if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{url} did not come up")


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port, connections, duration, wrk_threads, path="/health", script=None):
    command = ["wrk", f"-t{wrk_threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", script]
    command.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} non-2xx responses")
    return {"rps": rps, "p50": p50, "p99": p99}


def write_section(path, heading, section):
    header = "# Benchmarks\n\nLatest figures; each section says the command that produced it (`make bench` runs them all).\n\n"
    text = open(path).read() if os.path.exists(path) else header
    start = text.find(heading)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section.rstrip("\n") + "\n" + (text[end:] if end != -1 else "")
    with open(path, "w") as f:
        f.write(text)


def measured_stamp():
    """When (UTC, to the minute) and at which commit a benchmark ran, for its section in docs/benchmarks.md."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return when, commit
