"""The dynamic model set with 10,000 registered models (issue 13): time to the first prediction of a cold model,
memory per loaded model, and what watching the registry costs while nothing changes.

One small model is trained with `keel train` (the Ames data, 20 rounds) and copied under 10,000 names (each copy's
meta.json names itself). `keel serve` runs with ml.models empty, ml.serve_registry on, the registry polled every
100 ms, rate limits off. Then, one request at a time over keep-alive:
  - cold: the first POST /api/v1/models/{name}/predict of 500 models (the load, its validation sample, the predict);
  - warm: the second request to each of the same models (cache off, so it predicts again);
  - memory: RSS before and after 2,000 models are loaded, divided by 2,000;
  - eviction: with ml.max_loaded_models = 1,000, 2,000 models used once leave 1,000 loaded;
  - watching: the server's CPU time over 20 s idle (nothing loaded yet), with 10,000 models in the registry and
    with 10, against what one full listing of the 10,000 models' version directories costs (what every poll
    cost before the feed).
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from benchlib import free_port, measured_stamp, wait_http, write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "a benchmark passphrase"


def make_registry(keel, root, count):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["KEEL_ML_MODEL_DIR"] = root
    subprocess.run([keel, "train", "seed", "--data", os.path.join(ROOT, "data/ames_housing.csv"), "--rounds", "20"],
                   check=True, capture_output=True, env=env)
    seed = os.path.join(root, "seed")
    version = os.listdir(seed)[0]
    with open(os.path.join(seed, version, "meta.json")) as f:
        meta = json.load(f)
    with open(os.path.join(seed, version, "model.json")) as f:
        model = f.read()
    for i in range(count):
        name = f"m{i:05d}"
        directory = os.path.join(root, name, version)
        os.makedirs(directory)
        meta["name"] = name
        with open(os.path.join(directory, "meta.json"), "w") as f:
            json.dump(meta, f)
        with open(os.path.join(directory, "model.json"), "w") as f:
            f.write(model)
    shutil.rmtree(seed)
    return os.path.getsize(os.path.join(root, "m00000", version, "model.json"))


class Server:
    def __init__(self, keel, workdir, models, extra):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        env.update({"KEEL_SERVER_PORT": str(self.port), "KEEL_RATELIMIT_ENABLED": "false", "KEEL_ML_MODELS": "",
                    "KEEL_DATABASE_URL": f"sqlite://{workdir}/keel-{self.port}.db", "KEEL_ML_MODEL_DIR": models,
                    "KEEL_AUTH_KEY_FILE": f"{workdir}/jwt.key", "KEEL_ML_RELOAD_POLL_MS": "100",
                    "KEEL_ML_CACHE_ENABLED": "false", "KEEL_LOG_ACCESS": "false", "KEEL_AUTH_ARGON2_MEMORY_KIB": "8192"})
        env.update(extra)
        subprocess.run([keel, "migrate"], check=True, capture_output=True, env=env, cwd=workdir)
        user_env = dict(env, KEEL_USER_PASSWORD=PASSWORD)
        subprocess.run([keel, "users", "create", "--email", "bench@example.com"], check=True, capture_output=True,
                       env=user_env, cwd=workdir)
        self.log = open(os.path.join(workdir, f"keel-{self.port}.log"), "w")
        self.process = subprocess.Popen([keel, "serve"], env=env, cwd=workdir, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.port}/ready", self.process)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        status, tokens = self.call("POST", "/api/v1/auth/login", {"email": "bench@example.com", "password": PASSWORD})
        assert status == 200, tokens
        self.token = tokens["access_token"]

    def call(self, method, path, payload=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        self.connection.request(method, path, body=json.dumps(payload) if payload is not None else None,
                                headers=headers)
        response = self.connection.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else None

    def predict(self, name, house):
        started = time.perf_counter()
        status, body = self.call("POST", f"/api/v1/models/{name}/predict", {"features": house}, self.token)
        elapsed = time.perf_counter() - started
        assert status == 200, body
        return elapsed * 1000

    def rss_bytes(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def metric(self, name):
        self.connection.request("GET", "/metrics")
        text = self.connection.getresponse().read().decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name + " ") or line.startswith(name + "{"))

    def stop(self):
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def full_listing_ms(root):
    """What one poll cost when every model's directory was listed: the registry, then each model's versions."""
    started = time.perf_counter()
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if os.path.isdir(path):
            sorted(os.listdir(path))
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--models", type=int, default=10000)
    args = parser.parse_args()
    with open(os.path.join(ROOT, "data/example-house.json")) as f:
        house = json.load(f)["features"]
    workdir = tempfile.mkdtemp(prefix="keel-bench-models-")
    try:
        registry = os.path.join(workdir, "models")
        model_bytes = make_registry(args.keel, registry, args.models)
        small = os.path.join(workdir, "small")
        os.makedirs(small)
        for i in range(10):
            shutil.copytree(os.path.join(registry, f"m{i:05d}"), os.path.join(small, f"m{i:05d}"))

        # Idle first, with nothing loaded, so the two idle runs differ only in the registry's size.
        server = Server(args.keel, workdir, registry, {"KEEL_ML_MAX_LOADED_MODELS": str(args.models)})
        time.sleep(2)
        cpu_start = server.cpu_seconds()
        time.sleep(20)
        idle_cpu_many = server.cpu_seconds() - cpu_start
        cold_names = [f"m{i:05d}" for i in range(0, args.models, args.models // 500)][:500]
        cold = [server.predict(name, house) for name in cold_names]
        warm = [server.predict(name, house) for name in cold_names]
        rss_before = server.rss_bytes()
        loaded_before = server.metric("keel_models_loaded")
        extra = [f"m{i:05d}" for i in range(args.models) if f"m{i:05d}" not in set(cold_names)][:2000]
        for name in extra:
            server.predict(name, house)
        rss_after = server.rss_bytes()
        loaded_after = server.metric("keel_models_loaded")
        per_model = (rss_after - rss_before) / (loaded_after - loaded_before)
        server.stop()

        server = Server(args.keel, workdir, small, {})
        time.sleep(2)
        cpu_start = server.cpu_seconds()
        time.sleep(20)
        idle_cpu_few = server.cpu_seconds() - cpu_start
        server.stop()

        bound = min(1000, args.models // 2)
        server = Server(args.keel, workdir, registry, {"KEEL_ML_MAX_LOADED_MODELS": str(bound)})
        for i in range(2 * bound):
            server.predict(f"m{i:05d}", house)
        bounded_loaded = server.metric("keel_models_loaded")
        evictions = server.metric("keel_model_evictions_total")
        server.stop()

        listings = [full_listing_ms(registry) for _ in range(5)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    when, commit = measured_stamp()
    section = f"""## A dynamic model set: {args.models:,} registered models

`bench/run-models.sh` ({when}, commit {commit}): {args.models:,} copies of one small model (`keel train`, Ames data,
20 rounds; {model_bytes / 1024:.0f} KiB of model.json each) in the registry, `keel serve` with `ml.models` empty,
`ml.serve_registry` on, the registry polled every 100 ms, prediction cache off; one request at a time over
keep-alive, `POST /api/v1/models/{{name}}/predict` with the example house.

| measure | value |
| --- | --- |
| first prediction of a cold model (load, validation sample, predict), p50 / p99 over 500 models | {statistics.median(cold):.2f} ms / {percentile(cold, 99):.2f} ms |
| the next prediction of the same model, p50 / p99 | {statistics.median(warm):.2f} ms / {percentile(warm, 99):.2f} ms |
| resident memory per loaded model (RSS growth over {int(loaded_after - loaded_before):,} more models) | {per_model / 1024:.0f} KiB |
| `ml.max_loaded_models = {bound:,}`, {2 * bound:,} models used once: loaded after, evictions | {bounded_loaded:.0f}, {evictions:.0f} |
| server CPU over 20 s idle (nothing loaded), registry of {args.models:,} models / of 10 models | {idle_cpu_many:.2f} s / {idle_cpu_few:.2f} s |
| one full listing of the {args.models:,} models' version directories (each poll's cost before the change feed), median of 5 | {statistics.median(listings):.1f} ms |

The watcher's poll reads the change feed (`<model_dir>/changes.log`): its cost is the same with 10 models as with
{args.models:,}, where listing every model at each 100 ms poll would have cost the figure in the last row ten times a
second.
"""
    write_section(args.out, "## A dynamic model set", section)
    print(section)


if __name__ == "__main__":
    main()
