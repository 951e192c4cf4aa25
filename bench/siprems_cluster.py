"""SIPREMS through nginx in the scaled mode (issue 21): the seed's floor of 100 requests/s per instance with a
p95 under 500 ms, as a mixed run: 2 keel instances behind nginx on PostgreSQL (through pgBouncer) and Redis,
started by `keel cluster up`, the real catalogue seeded and trained, then wrk sending a mix of catalogue reads,
forecasts, sales aggregates, sales writes and chat turns.
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import tempfile

from benchlib import measured_stamp, to_ms, write_section
from cluster import Cluster
from tasks_api import account, call

SKUS = ["AIRPAX-INTL", "DRINKS-US-WHSL", "WINE-AU", "TUNA-1", "TUNA-2", "TUNA-3", "TUNA-4", "TUNA-5", "TUNA-6",
        "TUNA-7"]
# (share in percent, what): the seed's users mostly read forecasts and sales.
MIX = """
local skus = {%s}
local token = "%s"
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) math.randomseed(os.time() * 100 + id) end
request = function()
  local sku = skus[math.random(#skus)]
  local pick = math.random(100)
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  if pick <= 40 then
    return wrk.format("GET", "/api/v1/products/" .. sku .. "/forecast?horizon=" .. math.random(1, 24), headers)
  elseif pick <= 60 then
    return wrk.format("GET", "/api/v1/products/" .. sku .. "/sales?interval=month", headers)
  elseif pick <= 75 then
    return wrk.format("GET", "/api/v1/products?per_page=20", headers)
  elseif pick <= 80 then
    return wrk.format("GET", "/api/v1/products/" .. sku .. "/backtest", headers)
  elseif pick <= 90 then
    local body = string.format('{"sku":"%%s","date":"2026-%%02d-%%02d","quantity":%%d}', sku,
                               math.random(1, 11), math.random(1, 28), math.random(1, 50))
    return wrk.format("POST", "/api/v1/sales", headers, body)
  else
    return wrk.format("POST", "/api/v1/chat", headers, '{"message":"forecast ' .. sku .. ' for the next 3 months"}')
  end
end
done = function(summary, latency, requests)
  io.write(string.format("P95 %%d\\n", latency:percentile(95)))
end
"""


def run_mix(port, script, connections, duration):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script,
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": to_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
            "p95": int(re.search(r"P95 (\d+)", out).group(1)) / 1000.0,
            "p99": to_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
            "errors": int(errors.group(1)) if errors else 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=15)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="keel-bench-siprems-cluster-")
    config_path = os.path.join(workdir, "keel.toml")
    with open(config_path, "w") as f:
        # Rate limits off: wrk sends everything from one address and one account. Otherwise the defaults.
        f.write("[ratelimit]\nenabled = false\n[auth]\nrequire_email_verification = false\n[ml]\nmodels = []\n")
    cluster = Cluster(args.keel, args.instances, config_path, workers=1)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        env.update(cluster.settings)
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        for step in (["seed", "--data", os.path.join(root, "data/siprems/sales.csv")], ["train"]):
            subprocess.run([args.keel, "siprems", *step, "--config", config_path], env=env, cwd=workdir,
                           capture_output=True, text=True, check=True)
        conn = http.client.HTTPConnection("127.0.0.1", cluster.nginx, timeout=30)
        token = account(conn, "bench@example.com")
        call(conn, "GET", "/api/v1/products", token=token)
        conn.close()
        script = os.path.join(workdir, "mix.lua")
        with open(script, "w") as f:
            f.write(MIX % (", ".join(f'"{s}"' for s in SKUS), token))
        run_mix(cluster.nginx, script, args.connections, 3)  # warm-up: upstream connections, caches
        result = run_mix(cluster.nginx, script, args.connections, args.duration)
        print(result, flush=True)
    finally:
        cluster.down()
    when, commit = measured_stamp()
    per_instance = result["rps"] / args.instances
    heading = "## SIPREMS through nginx: the seed's floor (scaled mode)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine (everything on its two cores: nginx,
{args.instances} keel instances, one keel worker, PostgreSQL, pgBouncer, Redis and wrk). Command:
`bench/run-siprems-cluster.sh --instances {args.instances} --connections {args.connections} --duration {args.duration}`.
The real catalogue is seeded and trained; rate limits are off (wrk is one address and one account). wrk sends a
mix: 40% forecasts (random product, horizon 1-24), 20% monthly sales aggregates, 15% product pages, 5% backtests,
10% sales writes (one row each) and 10% chat turns with the analyst, {args.connections} connections, {args.duration} s.

| requests/s | per instance | p50 ms | p95 ms | p99 ms | non-2xx | seed's floor |
| --- | --- | --- | --- | --- | --- | --- |
| {result['rps']:,.0f} | {per_instance:,.0f} | {result['p50']:.1f} | {result['p95']:.1f} | {result['p99']:.1f} | {result['errors']} | ≥ 100/s per instance, p95 < 500 ms |
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
