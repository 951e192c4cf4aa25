"""The web console's cost to a visitor (issue 17): what each page ships (JavaScript, CSS and the page, raw and
gzip, from console/build.mjs's sizes.json), and the first page's load in headless Chromium on this machine: bytes
transferred, first contentful paint and time to interactive (the sign-in form rendered and usable), median of
five cold loads (console/tests/measure.mjs) from a `keel serve` with the defaults.
Targets: under 150 KB gzip for the first page, under one second to interactive.
"""
import argparse
import json
import os
import signal
import subprocess
import tempfile

from benchlib import free_port, measured_stamp, wait_http, write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING = "## Web console: what each page ships, and the first page's load in Chromium"


def page_sizes(workdir):
    out = os.path.join(workdir, "console")
    subprocess.run(["node", os.path.join(ROOT, "console", "build.mjs"), "--out", out], check=True)
    with open(os.path.join(out, "sizes.json")) as f:
        return json.load(f)


def first_load(keel, workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    os.makedirs(os.path.join(workdir, "var"))
    port = free_port()
    process = subprocess.Popen([keel, "serve", "--port", str(port)], cwd=workdir, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process, timeout=30)
        artifacts = os.path.join(workdir, "artifacts")
        subprocess.run(["node", os.path.join(ROOT, "console", "tests", "run.mjs"), "--url",
                        f"http://127.0.0.1:{port}", "--artifacts", artifacts, "--measure", "--only", "none"],
                       check=True, capture_output=True)
        with open(os.path.join(artifacts, "report.json")) as f:
            return json.load(f)["first_load"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keel-console-bench-") as workdir:
        sizes = page_sizes(workdir)
        load = first_load(args.keel, workdir)
    when, commit = measured_stamp()
    rows = "\n".join(f"| {s['page']} | {s['raw'] / 1024:.1f} | {s['gzip'] / 1024:.1f} |" for s in sizes)
    section = f"""{HEADING}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command: `bench/run-console.sh`.
Each page's download, the page (HTML) included: the shell (the entry module, its imports and the styles) plus the
page's own module and what it imports; "shell" alone is what every page shares. The 3D viewer (three.js) is
loaded only when a model is opened: its row is the Image2Model page with the viewer. Target (issue 17): under
150 KB gzip for the first page (the sign-in page, "auth").

| page | JS + CSS + HTML KiB | gzip KiB |
| --- | --- | --- |
{rows}

The first page a visitor sees (sign-in), loaded five times in fresh headless Chromium contexts (no cache) from
`keel serve` on loopback; medians. Target: under one second to interactive.

| transferred KiB | requests | first contentful paint ms | interactive ms |
| --- | --- | --- | --- |
| {load['transferred_kib']:.1f} | {load['requests']:.0f} | {load['first_contentful_paint_ms']:.0f} | {load['interactive_ms']:.0f} |
"""
    print(section)
    if args.out:
        write_section(args.out, HEADING, section)


if __name__ == "__main__":
    main()
