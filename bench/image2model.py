"""Image2Model benchmark (issue 16): local generation time per image by size, streamed uploads with the server's
memory watched, status reads, and generation throughput on this machine's two cores.

One Keel instance on SQLite with its defaults (access log on) except rate limiting (off: wrk and the upload
clients come from one address and one account) and the daily upload quota (raised: the upload row alone sends
320 MB). Images come from tests/e2e/images.py (made here, photo-like JPEGs; no downloads).
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import images  # noqa: E402
from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section  # noqa: E402
from tasks_api import PASSWORD, call  # noqa: E402

SIZES = [(512, 512), (1024, 1024), (2048, 2048), (4000, 3000)]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def generation_times(keel, workdir, runs=3):
    """Seconds of `keel image2model generate` (one process, one core) per size, median of `runs`."""
    rows = []
    for width, height in SIZES:
        path = os.path.join(workdir, f"photo-{width}x{height}.jpg")
        with open(path, "wb") as f:
            f.write(images.jpeg(width, height, seed=width))
        seconds, triangles = [], 0
        for _ in range(runs):
            out = subprocess.run([keel, "image2model", "generate", path, "--out", os.path.join(workdir, "gen")],
                                 capture_output=True, text=True, check=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            seconds.append(result["seconds"])
            triangles = result["triangles"]
        rows.append({"size": f"{width}x{height}", "seconds": statistics.median(seconds), "triangles": triangles})
        print("generation", rows[-1], flush=True)
    return rows


def upload(port, token, body, content_type):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", "/api/v1/upload/batch", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 202:
        raise RuntimeError(f"upload: {response.status} {data[:300]}")
    return json.loads(data)


def streamed_uploads(port, pid, token, big, clients=16):
    """`clients` concurrent uploads of one ~20 MB image each: MB/s, and the server's resident memory before and at
    its highest while they stream (sampled every 20 ms)."""
    body, content_type = images.multipart([("big.jpg", big)])
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    threads = [threading.Thread(target=upload, args=(port, token, body, content_type)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    done.set()
    sampler.join()
    return {"clients": clients, "mb": len(body) / 2**20, "seconds": elapsed,
            "mb_per_s": clients * len(body) / 2**20 / elapsed, "rss_before_mib": before / 1024,
            "rss_peak_mib": peak[0] / 1024, "growth_mib": (peak[0] - before) / 1024}


def wait_done(port, token, job_ids, timeout=900):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    deadline = time.monotonic() + timeout
    pending = set(job_ids)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            status = call(conn, "GET", f"/api/v1/status/{job_id}", token=token)["status"]
            if status not in ("queued", "processing"):
                pending.discard(job_id)
        time.sleep(0.2)
    conn.close()
    if pending:
        raise RuntimeError(f"{len(pending)} batches did not finish")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--files", type=int, default=48, help="files generated for the throughput row")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-image2model-")
    results = {"generation": generation_times(args.keel, workdir)}
    big = images.jpeg(6000, 4500, seed=61, quality=100)
    while len(big) < 18 * 2**20:  # make it about 20 MB: the per-file limit is what the row is about
        big += b"\0" * (20 * 2**20 - len(big))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_RATELIMIT_ENABLED": "false",
                "KEEL_AUTH_REQUIRE_EMAIL_VERIFICATION": "false", "KEEL_IMAGE2MODEL_DAILY_UPLOAD_MB": "1000000",
                "KEEL_IMAGE2MODEL_MAX_FILE_MB": "21",
                "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel.db", "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key"})
    log = open(os.path.join(workdir, "keel.log"), "wb")
    # First without workers, so the upload row measures uploading alone (a 27-megapixel decode is not upload memory).
    process = subprocess.Popen([args.keel, "serve"], env={**env, "KEEL_JOBS_WORKERS": "false"}, stdout=log,
                               stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        call(conn, "POST", "/api/v1/auth/register", {"email": "bench@example.com", "password": PASSWORD, "name": "b"})
        token = call(conn, "POST", "/api/v1/auth/login", {"email": "bench@example.com", "password": PASSWORD})[
            "access_token"]
        conn.close()
        streamed_uploads(port, process.pid, token, big, clients=4)  # warm up: pools, page cache, allocator
        results["upload"] = streamed_uploads(port, process.pid, token, big)
        print("streamed uploads", results["upload"], flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    # Then with workers: generation throughput, then status reads of a finished batch.
    process = subprocess.Popen([args.keel, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        # The worker-less run's 20 batches of 20 MB are queued; cancel them so they do not count here.
        for batch in call(conn, "GET", "/api/v1/batches?per_page=100", token=token)["items"]:
            if batch["status"] in ("queued", "processing"):
                call(conn, "POST", f"/api/v1/batches/{batch['job_id']}/cancel", token=token)
        photos = [images.jpeg(1024, 768, seed=100 + i) for i in range(4)]
        started = time.monotonic()
        job_ids = []
        for i in range(0, args.files, 4):
            body, content_type = images.multipart([(f"{i + k}.jpg", photos[k]) for k in range(4)])
            job_ids.append(upload(port, token, body, content_type)["job_id"])
        wait_done(port, token, job_ids)
        elapsed = time.monotonic() - started
        results["throughput"] = {"files": args.files, "seconds": elapsed, "per_minute": args.files / elapsed * 60}
        print("generation throughput", results["throughput"], flush=True)
        status_path = f"/api/v1/status/{job_ids[0]}"
        script = os.path.join(workdir, "status.lua")
        with open(script, "w") as f:
            f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        results["status"] = run_wrk(port, args.connections, args.duration, 2, path=status_path, script=script)
        print("status reads", results["status"], flush=True)
        conn.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    gen_rows = "\n".join(f"| {g['size']} | {g['seconds'] * 1000:,.0f} | {g['triangles']:,} |" for g in results["generation"])
    u, t, s = results["upload"], results["throughput"], results["status"]
    heading = "## Image2Model: generation, streamed uploads, status reads (one instance, SQLite)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-image2model.sh --connections {args.connections} --duration {args.duration} --files {args.files}`.
Images are photo-like JPEGs made by `tests/e2e/images.py`. Keel runs with its defaults except
`ratelimit.enabled = false` and a raised daily upload quota.

**Local generation** (`keel image2model generate`, one process on one core, quality `standard`, median of 3;
decode, mask, relief mesh, simplification, GLB + STL + OBJ zip + thumbnail). Target: ≤ 1 s for 1024×1024.

| image | ms | triangles |
| --- | --- | --- |
{gen_rows}

**Streamed uploads**: {u['clients']} clients at once, each one multipart upload of a {u['mb']:.1f} MB JPEG, with
the job workers off (the row measures receiving, checking and storing, not generating). Resident memory of the
server sampled every 20 ms, after a warm-up round of 4.

| uploads | MB/s | seconds | RSS before MiB | RSS peak MiB | growth MiB | target |
| --- | --- | --- | --- | --- | --- | --- |
| {u['clients']} × {u['mb']:.1f} MB | {u['mb_per_s']:,.0f} | {u['seconds']:.2f} | {u['rss_before_mib']:.1f} | {u['rss_peak_mib']:.1f} | {u['growth_mib']:.1f} | growth < 10 MB |

**Generation throughput**: {t['files']} files of 1024×768 uploaded in batches of 4, the in-process workers
(model_generation: 8 workers on 2 cores) generating until every batch finished: **{t['per_minute']:,.0f} files per
minute** ({t['seconds']:.1f} s).

**Status reads**: `GET /api/v1/status/{{job_id}}` of a finished batch of 4 files, wrk 2 threads,
{args.connections} connections, {args.duration} s: **{s['rps']:,.0f} requests/s**, p50 {s['p50']:.2f} ms,
p99 {s['p99']:.2f} ms (target ≥ 20,000/s, p99 < 10 ms).
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
