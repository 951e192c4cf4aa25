"""SIPREMS benchmark (issue 21): forecast accuracy on the real catalogue, training throughput on a synthetic
catalogue, forecast reads cached and uncached, and chat turns with the built-in analyst.

One Keel on SQLite with its defaults except rate limiting (off: wrk comes from one address and one account) and
the job workers (off: `keel siprems train` trains in the foreground, on one core, so its time is the training's
own). The real catalogue is data/siprems/sales.csv; the synthetic one comes from `keel siprems synth` (labelled
SYN-..., never mixed into the real one).
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section  # noqa: E402
from tasks_api import account, call, lua  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def keel_json(keel, env, workdir, *args):
    out = subprocess.run([keel, "siprems", *args], env=env, cwd=workdir, capture_output=True, text=True,
                         check=True).stdout
    return [r for r in map(json.loads, out.splitlines()) if "level" not in r]


def accuracy(conn, token, skus):
    rows = []
    for sku in skus:
        b = call(conn, "GET", f"/api/v1/products/{sku}/backtest", token=token)
        rolling = b["rolling_origin"]
        rows.append({"sku": sku, "family": b["served"]["family"], "chosen": rolling["chosen"]["mase"],
                     "naive": rolling["seasonal_naive"]["mase"], "hw": rolling["holt_winters"]["mase"],
                     "xgb": rolling["xgboost"]["mase"], "holdout": b["served"]["mase"],
                     "holdout_naive": b["seasonal_naive"]["mase"], "origins": rolling["origins"]})
    return rows


def uncached_script(path, token, products, horizons):
    """wrk requests for random (synthetic SKU, horizon) pairs: nearly every one a cache miss."""
    with open(path, "w") as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n'
                # Each wrk thread its own sequence: with one seed they would ask for the same pairs.
                "local threads = 0\n"
                "function setup(thread) threads = threads + 1; thread:set(\"id\", threads) end\n"
                "function init(args) math.randomseed(os.time() * 100 + id) end\n"
                "request = function()\n"
                f"  local sku = string.format(\"SYN-%06d\", math.random(1, {products}))\n"
                f"  local path = \"/api/v1/products/\" .. sku .. \"/forecast?horizon=\" .. math.random(1, {horizons})\n"
                "  return wrk.format(\"GET\", path)\n"
                "end\n")
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", default=os.path.join(ROOT, "build/release/keel"))
    parser.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-siprems-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_RATELIMIT_ENABLED": "false", "KEEL_JOBS_WORKERS": "false",
                "KEEL_AUTH_REQUIRE_EMAIL_VERIFICATION": "false", "KEEL_ML_MODELS": "",
                "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel.db", "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key"})
    results = {}
    seeded = keel_json(args.keel, env, workdir, "seed", "--data", os.path.join(ROOT, "data/siprems/sales.csv"))[-1]
    real = keel_json(args.keel, env, workdir, "train")
    real_skus = [r["sku"] for r in real[:-1]]
    synth = keel_json(args.keel, env, workdir, "synth", "--products", str(args.products))[-1]
    started = time.monotonic()
    trained = keel_json(args.keel, env, workdir, "train")[-1]
    results["training"] = {"products": trained["products"], "seconds": time.monotonic() - started,
                           "served": trained["served"], "refused": trained["refused"], "skipped": trained["skipped"]}
    print("training", results["training"], flush=True)

    log = open(os.path.join(workdir, "keel.log"), "wb")
    process = subprocess.Popen([args.keel, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        token = account(conn, "bench@example.com")
        results["accuracy"] = accuracy(conn, token, real_skus)
        script = lua(os.path.join(workdir, "auth.lua"), "GET", token)
        call(conn, "GET", "/api/v1/products/AIRPAX-INTL/forecast?horizon=12", token=token)  # now cached
        results["cached"] = run_wrk(port, args.connections, args.duration, 2,
                                    path="/api/v1/products/AIRPAX-INTL/forecast?horizon=12", script=script)
        print("cached", results["cached"], flush=True)
        before = call(conn, "GET", "/cache-stats")["caches"]["forecasts"]
        results["uncached"] = run_wrk(port, args.connections, args.duration, 2, path="/",
                                      script=uncached_script(os.path.join(workdir, "uncached.lua"), token,
                                                             args.products, 60))
        after = call(conn, "GET", "/cache-stats")["caches"]["forecasts"]
        lookups = (after["hits"] + after["misses"]) - (before["hits"] + before["misses"])
        results["uncached"]["miss_ratio"] = (after["misses"] - before["misses"]) / max(1, lookups)
        print("uncached", results["uncached"], flush=True)
        chat = lua(os.path.join(workdir, "chat.lua"), "POST", token,
                   {"message": "How many units of AIRPAX-INTL did we sell in 1960?"})
        results["chat"] = run_wrk(port, args.connections, args.duration, 2, path="/api/v1/chat", script=chat)
        print("chat", results["chat"], flush=True)
        conn.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    acc = results["accuracy"]
    beaten = sum(1 for r in acc if r["chosen"] < r["naive"])
    worse = sum(1 for r in acc if r["chosen"] > r["naive"])
    rows = "\n".join(f"| {r['sku']} | {r['family']} | {r['chosen']:.3f} | {r['naive']:.3f} | {r['hw']:.3f} | "
                     f"{r['xgb']:.3f} | {r['holdout']:.3f} | {r['holdout_naive']:.3f} |" for r in acc)
    t, c, u, ch = results["training"], results["cached"], results["uncached"], results["chat"]
    heading = "## SIPREMS: forecast accuracy, training, forecast reads, chat (one instance, SQLite)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-siprems.sh --products {args.products} --connections {args.connections} --duration {args.duration}`.
Keel runs with its defaults except `ratelimit.enabled = false` and `jobs.workers = false` (training runs in the
foreground, `keel siprems train`, on one core).

**Accuracy on the real catalogue** ({seeded['products']} series, `data/siprems/sales.csv`): MASE of the rolling-origin
backtest the family was chosen by (up to 3 cut-offs, 12 months ahead each), for the served family, seasonal naive,
Holt-Winters and XGBoost on lags; then the served model's and seasonal naive's MASE on the last 12 months held out
(what `GET /api/v1/products/{{sku}}/backtest` shows). The served model beats seasonal naive on **{beaten} of
{len(acc)}** series and is worse on **{worse}** (where nothing beat it, seasonal naive itself serves).

| series | served | backtest MASE | seasonal naive | Holt-Winters | XGBoost | holdout MASE | holdout naive |
| --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

**Training**: {t['products']:,} products ({args.products:,} synthetic from `keel siprems synth`, 60 months each,
and the {seeded['products']} real ones), every one backtested with three families and fitted, each version written
to SQLite: **{t['seconds']:.1f} s**, {t['products'] / t['seconds']:,.0f} products per second on one core
({t['served']:,} served, {t['refused']:,} refused, {t['skipped']:,} skipped).

**Forecast reads** (`GET /api/v1/products/{{sku}}/forecast` with a bearer token; wrk 2 threads,
{args.connections} connections, {args.duration} s):

| reads | requests/s | p50 ms | p99 ms | target |
| --- | --- | --- | --- | --- |
| cached (one product, horizon 12) | {c['rps']:,.0f} | {c['p50']:.2f} | {c['p99']:.2f} | ≥ 20,000/s, p99 < 10 ms |
| uncached (random synthetic product and horizon 1-60; {u['miss_ratio'] * 100:.0f}% misses) | {u['rps']:,.0f} | {u['p50']:.2f} | {u['p99']:.2f} | |

**Chat** (`POST /api/v1/chat`, the built-in analyst: "How many units of AIRPAX-INTL did we sell in 1960?", a new
session each turn, history written to the in-process KV store): **{ch['rps']:,.0f} turns/s**, p50 {ch['p50']:.2f} ms,
p99 {ch['p99']:.2f} ms.
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
