"""PropertyAI benchmark (issue 3): POST /api/v1/property/predict on one Keel instance, against its own /health.

A model is trained with `keel train property` (the same defaults `make run` uses) into a scratch registry.
Each scenario starts a fresh `keel serve` with its defaults (2 IO threads, access log on, prediction log on)
except rate limiting, which is off because wrk sends everything from one address:
  - uncached, batched: random valid features in every request, ml.cache_enabled = false, batching as
    configured by default (max_batch 64, max_delay_us 500);
  - uncached, not batched: the same with ml.max_batch = 1 (each request predicts on its IO thread);
  - cached: 16 houses repeated, cache on (every request after the first 16 is a hit);
  - cached again with the access log and the prediction log off, to show what those two cost;
  - uncached, batched, with a traffic plan (an A/B test, 90/10 between two versions), then with a third version
    shadowing every request, to show what routing and shadows cost (issue 19);
  - /health of each cached process, for the ratio.
wrk: 2 threads, 64 connections.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from benchlib import free_port, measured_stamp, run_wrk, wait_http, write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Random houses within the model's ranges: 4,096 per wrk thread, built before the run so that formatting them
# does not take the load generator's CPU (on 2 shared cores it would slow the server down too). The cache is off
# in the scenarios that use them, so every request is predicted.
RANDOM_LUA = r'''
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local r = math.random
local bodies, i = {}, 0
for n = 1, 4096 do
  bodies[n] = string.format('{"features":{"living_area_sqft":%d,"lot_area_sqft":%d,"year_built":%d,' ..
    '"year_remodeled":%d,"overall_condition":%d,"bedrooms":%d,"full_baths":%d,"half_baths":%d,' ..
    '"garage_cars":%d,"basement_sqft":%d,"latitude":%.6f,"longitude":%.6f}}',
    r(600, 4000), r(2000, 40000), r(1900, 2009), r(1950, 2010), r(1, 9), r(1, 5), r(1, 3), r(0, 1),
    r(0, 3), r(0, 2000), 41.99 + r() * 0.07, -93.69 + r() * 0.11)
end
request = function()
  i = i % 4096 + 1
  return wrk.format("POST", "/api/v1/property/predict", {["Content-Type"] = "application/json"}, bodies[i])
end
'''

# 16 houses, cycled: after the first round every request is a cache hit.
CACHED_LUA = r'''
local bodies, i = {}, 0
for n = 1, 16 do
  bodies[n] = string.format('{"features":{"living_area_sqft":%d,"lot_area_sqft":9000,"year_built":1990,' ..
    '"year_remodeled":2000,"overall_condition":6,"bedrooms":3,"full_baths":2,"half_baths":1,' ..
    '"garage_cars":2,"basement_sqft":900,"latitude":42.03,"longitude":-93.63}}', 1000 + n * 100)
end
request = function()
  i = i % 16 + 1
  return wrk.format("POST", "/api/v1/property/predict", {["Content-Type"] = "application/json"}, bodies[i])
end
'''


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        match = re.match(r"^(keel_model_batch_size_(?:sum|count)|keel_prediction_log_(?:written|dropped)_total"
                         r"|keel_model_cache_(?:hits|misses)_total|keel_model_shadow_(?:rows|dropped)_total)"
                         r"(?:\{[^}]*\})? ([0-9.e+]+)$", line)
        if match:
            values[match.group(1)] = values.get(match.group(1), 0.0) + float(match.group(2))
    return values


def serve(keel, workdir, models, extra):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_SERVER_PORT": str(port), "KEEL_RATELIMIT_ENABLED": "false",
                "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel-{port}.db", "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key",
                "KEEL_ML_MODEL_DIR": models})
    env.update(extra)
    log = open(os.path.join(workdir, f"keel-{port}.log"), "wb")
    process = subprocess.Popen([keel, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    wait_http(f"http://127.0.0.1:{port}/ready", process)
    return port, process


def set_traffic(keel, port, workdir, plan):
    """Signs in an administrator (made with `keel users create`) and POSTs the model's traffic plan."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env.update({"KEEL_DATABASE_URL": f"sqlite://{workdir}/keel-{port}.db", "KEEL_USER_PASSWORD": "bench pass phrase"})
    subprocess.run([keel, "users", "create", "--email", "bench@example.com", "--admin"], env=env, check=True,
                   capture_output=True, cwd=workdir)

    def post(path, body, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    token = post("/api/v1/auth/login", {"email": "bench@example.com", "password": "bench pass phrase"})["access_token"]
    post("/api/v1/admin/models/property/traffic", plan, token)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="keel-bench-predict-")
    models = os.path.join(workdir, "models")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["KEEL_ML_MODEL_DIR"] = models
    versions = []
    for seed in (42, 43, 44):  # three versions for the traffic plans; the newest serves the other scenarios
        if versions:
            time.sleep(1.1)  # version names have a second's resolution
        trained = subprocess.run([args.keel, "train", "property", "--data",
                                  os.path.join(ROOT, "data", "ames_housing.csv"), "--seed", str(seed)],
                                 capture_output=True, text=True, env=env, check=True)
        meta = json.loads(trained.stdout)
        versions.append(meta["version"])
    split = {"versions": {versions[0]: 90, versions[1]: 10}}
    scripts = {}
    for name, text in (("random", RANDOM_LUA), ("cached", CACHED_LUA)):
        scripts[name] = os.path.join(workdir, f"{name}.lua")
        with open(scripts[name], "w") as f:
            f.write(text)

    scenarios = [
        ("uncached, batched (max_batch 64, max_delay 500 µs)", {"KEEL_ML_CACHE_ENABLED": "false"}, "random"),
        ("uncached, not batched (max_batch 1)", {"KEEL_ML_CACHE_ENABLED": "false", "KEEL_ML_MAX_BATCH": "1"}, "random"),
        ("cached (16 houses repeated)", {}, "cached"),
        ("cached, access log and prediction log off", {"KEEL_LOG_ACCESS": "false", "KEEL_ML_LOG_ENABLED": "false"},
         "cached"),
        ("uncached, batched, A/B plan 90/10", {"KEEL_ML_CACHE_ENABLED": "false"}, "random", split),
        ("uncached, batched, A/B plan 90/10 and a shadow version", {"KEEL_ML_CACHE_ENABLED": "false"}, "random",
         dict(split, shadow=[versions[2]])),
    ]
    results, health = {}, {}
    try:
        for name, extra, script, *plan in scenarios:
            port, process = serve(args.keel, workdir, models, extra)
            try:
                if plan:
                    set_traffic(args.keel, port, workdir, plan[0])
                results[name] = run_wrk(port, args.connections, args.duration, 2, path="/api/v1/property/predict",
                                        script=scripts[script])
                results[name]["metrics"] = scrape(port)
                print(name, results[name], flush=True)
                if script == "cached":
                    health[name] = run_wrk(port, args.connections, args.duration, 2, path="/health")
                    print("/health", health[name], flush=True)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    rows, shadow_note = [], ""
    default_health = health[scenarios[2][0]]
    for name, r in results.items():
        base = health.get(name, default_health)
        m = r["metrics"]
        batch = m.get("keel_model_batch_size_sum", 0) / max(1.0, m.get("keel_model_batch_size_count", 0))
        logged = m.get("keel_prediction_log_written_total", 0)
        dropped = m.get("keel_prediction_log_dropped_total", 0)
        rows.append(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
                    f"{batch:.1f} | {logged:,.0f} / {dropped:,.0f} | {r['rps'] / base['rps']:.2f} |")
        if m.get("keel_model_shadow_rows_total"):
            shadow_note = (f" In the shadow row the third version predicted {m['keel_model_shadow_rows_total']:,.0f} "
                           f"rows and {m.get('keel_model_shadow_dropped_total', 0):,.0f} did not fit its queue "
                           "(`keel_model_shadow_rows_total`, `keel_model_shadow_dropped_total`); its rows are in "
                           "\"logged\" too.")
        if name in health:
            h = health[name]
            rows.append(f"| /health of the process above | {h['rps']:,.0f} | {h['p50']:.2f} | {h['p99']:.2f} | – | – | 1.00 |")
    metrics = meta["metrics"]
    heading = "## PropertyAI: predictions (one instance, SQLite prediction log)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-predict.sh --connections {args.connections} --duration {args.duration}`.
Model: `keel train property --data data/ames_housing.csv` ({meta['training']['rounds']} rounds, eta {meta['training']['eta']}, depth
{meta['training']['max_depth']}, 12 features; holdout MAE
${metrics['mae']:,.0f}, RMSE ${metrics['rmse']:,.0f}, R² {metrics['r2']:.3f}, MAPE {metrics['mape_percent']:.1f}%).
Each row is a fresh `keel serve` with its defaults (2 IO threads, access log on, every prediction written to
the prediction log) except `ratelimit.enabled = false`; wrk: 2 threads, {args.connections} connections,
{args.duration} s, one JSON body per request. "rows per predict" is the mean of `keel_model_batch_size`;
"logged / dropped" are the prediction-log counters at the end of the run; "vs /health" compares with the
/health rate of the same configuration (the defaults' for the uncached rows), measured right after. The A/B
rows serve three versions trained with seeds 42, 43 and 44 through a traffic plan (90/10, random draws), the
last with the third version as a shadow.{shadow_note}

| scenario | requests/s | p50 ms | p99 ms | rows per predict | logged / dropped | vs /health |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
