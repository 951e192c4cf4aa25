"""End-to-end: PropertyAI on Keel. A model trained on the shipped Ames data answers predictions over HTTP;
bad input is refused field by field and never logged; repeats come from the cache; a new version is swapped
in under load without a failed request and a broken one is refused; every served prediction is in the log
after SIGTERM; stats read the log."""
import http.client
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from keel import BINARY, Keel, wait_for

SOURCE = os.environ.get("KEEL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
AMES = os.path.join(SOURCE, "data", "ames_housing.csv")
with open(os.path.join(SOURCE, "data", "example-house.json")) as f:
    HOUSE = json.load(f)["features"]


def train(model_dir, *args, name="property"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["KEEL_ML_MODEL_DIR"] = model_dir
    done = subprocess.run([BINARY, "train", name, "--data", AMES, "--rounds", "150", *args],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["version"]


def house(**changes):
    features = dict(HOUSE)
    features.update(changes)
    return features


def random_house(rng):
    return house(living_area_sqft=rng.randint(600, 4000), year_built=rng.randint(1900, 2009),
                 lot_area_sqft=rng.randint(2000, 40000), garage_cars=rng.randint(0, 3))


def predict(keel, payload):
    status, headers, body = keel.request("POST", "/api/v1/property/predict", body=json.dumps(payload),
                                         headers={"Content-Type": "application/json"})
    return status, headers, json.loads(body) if body else None


class PropertyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="keel-models-")
        cls.version = train(cls.models)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.models, ignore_errors=True)

    def serve(self, **config):
        settings = {"ml.models": ["property"], "ml.model_dir": self.models, "ratelimit.enabled": False}
        settings.update(config)
        return Keel(settings)

    def test_predictions_one_and_many_cache_and_catalog(self):
        with self.serve() as keel:
            status, headers, body = predict(keel, {"features": HOUSE})
            self.assertEqual(status, 200, body)
            self.assertEqual((body["model"], body["version"], body["cached"]), ("property", self.version, False))
            self.assertEqual(headers["x-cache"], "MISS")
            # The example is a real 2010 sale at $215,000; the holdout MAPE is about 10%.
            self.assertTrue(120_000 < body["prediction"] < 320_000, body)
            # The same house, its features in another order and 3 written as 3.0: a cache hit.
            reordered = dict(reversed(list(house(bedrooms=3.0).items())))
            status, headers, again = predict(keel, {"features": reordered})
            self.assertEqual((status, headers["x-cache"], again["cached"]), (200, "HIT", True))
            self.assertEqual(again["prediction"], body["prediction"])

            bigger = house(living_area_sqft=3500, overall_condition=9, garage_cars=3)
            status, headers, many = predict(keel, {"instances": [HOUSE, bigger, HOUSE]})
            self.assertEqual(status, 200, many)
            self.assertEqual(headers["x-cache"], "MISS")  # one of them was new
            self.assertEqual(many["version"], self.version)
            self.assertEqual(many["predictions"][0], body["prediction"])
            self.assertEqual(many["predictions"][2], body["prediction"])
            self.assertGreater(many["predictions"][1], body["prediction"])
            self.assertGreaterEqual(keel.metric("keel_model_cache_hits_total"), 2)
            # Two identical new houses in one request: one computes, the other waits for it (single-flight).
            twins = house(living_area_sqft=2222, lot_area_sqft=12345)
            status, _, pair = predict(keel, {"instances": [twins, twins]})
            self.assertEqual(status, 200, pair)
            self.assertEqual(pair["predictions"][0], pair["predictions"][1])

            status, meta = keel.call("GET", "/api/v1/property/model")
            self.assertEqual(status, 200)
            self.assertEqual(meta["version"], self.version)
            self.assertEqual(len(meta["features"]), 12)
            self.assertNotIn("validation_sample", meta)
            self.assertGreater(meta["metrics"]["r2"], 0.8)
            status, catalog = keel.call("GET", "/api/v1/models")
            self.assertEqual(catalog["items"][0]["served_version"], self.version)
            self.assertEqual(catalog["items"][0]["versions"], [self.version])
            status, ready = keel.call("GET", "/ready")
            self.assertEqual((status, ready["checks"]["models"]), (200, "ok"))
            # Each instance serves the version (1 per process).
            self.assertEqual(keel.metric('keel_model_info{model="property",version="%s"}' % self.version),
                             len(keel.processes))

    def test_any_registry_model_is_served_by_name_on_first_use(self):
        models = tempfile.mkdtemp(prefix="keel-models-")
        shutil.copytree(self.models, models, dirs_exist_ok=True)
        try:
            with self.serve(**{"ml.model_dir": models}) as keel:
                keel.create_user("reader@example.com", "correct horse battery")
                reader = keel.login("reader@example.com", "correct horse battery")
                path = "/api/v1/models/houses/predict"
                self.assertEqual(keel.call("POST", path, reader, {"features": HOUSE})[0], 404)
                version = train(models, name="houses")  # while serving: a model nobody configured
                status, body = keel.call("POST", path, reader, {"features": HOUSE})
                self.assertEqual(status, 200, body)
                self.assertEqual((body["model"], body["version"]), ("houses", version))
                self.assertTrue(120_000 < body["prediction"] < 320_000, body)
                self.assertEqual(keel.call("POST", path, None, {"features": HOUSE})[0], 401)
                status, problem = keel.call("POST", path, reader, {"features": {"bedrooms": 3}})
                self.assertEqual(status, 422, problem)
                status, catalog = keel.call("GET", "/api/v1/models?per_page=1&page=1")
                self.assertEqual((catalog["total"], [m["name"] for m in catalog["items"]]), (2, ["houses"]))
                self.assertFalse(catalog["items"][0]["eager"])
                status, catalog = keel.call("GET", "/api/v1/models?per_page=1&page=2")
                self.assertEqual([(m["name"], m["eager"], m["loaded"]) for m in catalog["items"]],
                                 [("property", True, True)])
                self.assertGreaterEqual(keel.metric("keel_model_loads_total"), 1)
        finally:
            shutil.rmtree(models, ignore_errors=True)

    def test_bad_input_is_refused_per_field_and_never_logged(self):
        with self.serve() as keel:
            cases = [
                ({"features": {k: v for k, v in HOUSE.items() if k != "bedrooms"}}, ["features.bedrooms"]),
                ({"features": house(pool_sqft=10)}, ["features.pool_sqft"]),
                ({"features": house(bedrooms="three", garage_cars=None)}, ["features.bedrooms", "features.garage_cars"]),
                ({"features": house(year_built=1200)}, ["features.year_built"]),
                ({"instances": [HOUSE, house(latitude=True), HOUSE, house(full_baths=-5)]},
                 ["instances/1/latitude", "instances/3/full_baths"]),
                ({"instances": []}, ["instances"]),
                ({"instances": [HOUSE] * 1001}, ["instances"]),
                ({"features": HOUSE, "instances": [HOUSE]}, ["body"]),
            ]
            for payload, fields in cases:
                status, _, body = predict(keel, payload)
                self.assertEqual(status, 422, payload)
                self.assertEqual(sorted(e["field"] for e in body["errors"]), sorted(fields), body)
            # Python's json writes NaN and Infinity as bare words; they are named like any bad field.
            raw = json.dumps({"features": house(lot_area_sqft=float("nan"), basement_sqft=float("inf"))})
            status, _, body = keel.request("POST", "/api/v1/property/predict", body=raw,
                                           headers={"Content-Type": "application/json"})
            errors = {e["field"]: e["message"] for e in json.loads(body)["errors"]}
            self.assertEqual(status, 422)
            self.assertEqual(errors, {"features.lot_area_sqft": "must be a finite number",
                                      "features.basement_sqft": "must be a finite number"})
            # The rules of every JSON body: a number beyond a double is a field error with its pointer.
            raw = json.dumps({"features": house()}).replace('"bedrooms": 3', '"bedrooms": 1e400')
            self.assertIn("1e400", raw)
            status, _, body = keel.request("POST", "/api/v1/property/predict", body=raw,
                                           headers={"Content-Type": "application/json"})
            self.assertEqual(status, 422, body)
            self.assertEqual([e["pointer"] for e in json.loads(body)["errors"]], ["/features/bedrooms"])
            status, _, _ = keel.request("POST", "/api/v1/property/predict", body="{\"features\":",
                                        headers={"Content-Type": "application/json"})
            self.assertEqual(status, 400)
            status, _, _ = keel.request("POST", "/api/v1/property/predict", body=json.dumps({"features": HOUSE}),
                                        headers={"Content-Type": "text/plain"})
            self.assertEqual(status, 415)
            status, _, _ = predict(keel, {"features": HOUSE})
            self.assertEqual(status, 200)
        self.assertEqual(keel.sql("SELECT COUNT(*) FROM prediction_logs"), [(1,)])

    def test_every_served_prediction_is_logged_by_sigterm_and_stats_read_the_log(self):
        rng = random.Random(7)
        with self.serve(**{"ml.log_flush_ms": 5000}) as keel:
            keel.create_user("analyst@example.com", "correct horse battery")
            who = keel.login("analyst@example.com", "correct horse battery")
            served = 0
            for i in range(30):
                status, _, _ = predict(keel, {"features": random_house(rng) if i % 3 else HOUSE})
                self.assertEqual(status, 200)
                served += 1
            status, _, body = predict(keel, {"instances": [random_house(rng) for _ in range(20)]})
            self.assertEqual(status, 200)
            served += 20
            status, _ = keel.call("GET", "/api/v1/property/stats")
            self.assertEqual(status, 401)
            status, problem = keel.call("GET", "/api/v1/property/stats?window=2y", who)
            self.assertEqual((status, problem["errors"][0]["field"]), (422, "window"))
            # A 5 s flush interval: nothing is written before SIGTERM, everything is written at it.
        self.assertEqual(keel.sql("SELECT COUNT(*) FROM prediction_logs"), [(served,)])
        rows = keel.sql("SELECT model, version, features, prediction, latency_us, cached FROM prediction_logs")
        self.assertTrue(all(r[0] == "property" and r[1] == self.version and r[3] > 10_000 and r[4] > 0 for r in rows))
        self.assertEqual(set(json.loads(rows[0][2])), set(HOUSE))
        self.assertGreaterEqual(sum(r[5] for r in rows), 9)  # HOUSE repeated: every repeat was a hit

        with Keel({"ml.models": ["property"], "ml.model_dir": self.models, "ratelimit.enabled": False},
                  db_path=keel.db_path) as again:
            who = again.login("analyst@example.com", "correct horse battery")
            status, stats = again.call("GET", "/api/v1/property/stats?window=15m", who)
            self.assertEqual(status, 200, stats)
            self.assertEqual(stats["count"], served)
            self.assertEqual(stats["window"], "15m")
            self.assertGreater(stats["mean_prediction"], 50_000)
            self.assertGreater(stats["latency_p95_ms"], 0)
            self.assertLessEqual(stats["latency_p50_ms"], stats["latency_p95_ms"])
            self.assertAlmostEqual(stats["cache_hit_ratio"], sum(r[5] for r in rows) / served)
            # Each minute's count and mean (the console's chart) add up to the window's.
            minutes = stats["per_minute"]
            self.assertEqual(sum(m["count"] for m in minutes), served)
            self.assertEqual([m["minute"] for m in minutes], sorted(m["minute"] for m in minutes))
            self.assertAlmostEqual(sum(m["count"] * m["mean_prediction"] for m in minutes) / served,
                                   stats["mean_prediction"], delta=1e-6 * stats["mean_prediction"])
            status, week = again.call("GET", "/api/v1/property/stats?window=7d", who)
            self.assertEqual(status, 200, week)
            self.assertNotIn("per_minute", week)  # over a day: totals only

    def test_a_new_version_is_swapped_in_under_load_and_a_broken_one_is_refused(self):
        models = tempfile.mkdtemp(prefix="keel-models-")
        try:
            first = train(models)
            with Keel({"ml.models": ["property"], "ml.model_dir": models, "ratelimit.enabled": False,
                       "ml.reload_poll_ms": 100}) as keel:
                keel.create_user("root@example.com", "correct horse battery", admin=True)
                admin = keel.login("root@example.com", "correct horse battery")
                failures, versions, stop = [], set(), threading.Event()

                def load(seed):
                    rng = random.Random(seed)
                    conn = http.client.HTTPConnection("127.0.0.1", keel.port, timeout=10)
                    while not stop.is_set():
                        conn.request("POST", "/api/v1/property/predict",
                                     body=json.dumps({"features": random_house(rng)}),
                                     headers={"Content-Type": "application/json"})
                        response = conn.getresponse()
                        body = response.read()
                        if response.status != 200:
                            failures.append((response.status, body))
                        else:
                            versions.add(json.loads(body)["version"])
                    conn.close()

                threads = [threading.Thread(target=load, args=(seed,)) for seed in range(4)]
                for t in threads:
                    t.start()
                try:
                    time.sleep(0.3)
                    second = train(models, "--seed", "43")
                    wait_for(lambda: second in versions, timeout=60, what="the new version answering")
                    time.sleep(0.3)
                finally:
                    stop.set()
                    for t in threads:
                        t.join()
                self.assertEqual(failures, [])
                self.assertEqual(versions, {first, second})

                # A newer version whose model does not reproduce its validation sample is refused.
                # Published the way docs/architecture.md asks of a copy by hand: written under a dot name, which the
                # poller skips, then renamed into place. A copy made in place can be polled half-written.
                broken = "99991231T000000Z"
                staging = os.path.join(models, "property", "." + broken)
                shutil.copytree(os.path.join(models, "property", second), staging)
                meta_path = os.path.join(staging, "meta.json")
                with open(meta_path) as f:
                    meta = json.load(f)
                meta["version"] = broken
                meta["validation_sample"]["expected"] = [v * 2 for v in meta["validation_sample"]["expected"]]
                with open(meta_path, "w") as f:
                    json.dump(meta, f)
                os.rename(staging, os.path.join(models, "property", broken))
                wait_for(lambda: keel.metric("keel_model_reload_failures_total") >= 1, what="the refusal")
                status, _, body = predict(keel, {"features": HOUSE})
                self.assertEqual((status, body["version"]), (200, second))
                status, problem = keel.call("POST", "/api/v1/admin/models/property/reload", admin, timeout=120)
                self.assertEqual(status, 409, problem)
                self.assertIn("validation row", problem["detail"])
                status, _ = keel.call("POST", "/api/v1/admin/models/property/reload")
                self.assertEqual(status, 401)
                status, _ = keel.call("POST", "/api/v1/admin/models/nope/reload", admin)
                self.assertEqual(status, 404)
                shutil.rmtree(os.path.join(models, "property", broken))
                status, reloaded = keel.call("POST", "/api/v1/admin/models/property/reload", admin, timeout=120)
                self.assertEqual((status, reloaded["version"], reloaded["swapped"]), (200, second, False))
        finally:
            shutil.rmtree(models, ignore_errors=True)

    def test_not_ready_until_a_model_exists_then_served_without_a_restart(self):
        models = tempfile.mkdtemp(prefix="keel-models-")
        try:
            with Keel({"ml.models": ["property"], "ml.model_dir": models, "ml.reload_poll_ms": 100}) as keel:
                status, ready = keel.call("GET", "/ready")
                self.assertEqual(status, 503)
                self.assertIn("property", ready["checks"]["models"])
                status, _, _ = predict(keel, {"features": HOUSE})
                self.assertEqual(status, 503)
                version = train(models)
                # Every instance loads the model on its own; until each has, nginx may pick one that has not.
                wait_for(lambda: all(status == 200 for status, _ in keel.call_each("GET", "/ready")),
                         what="ready once trained")
                status, _, body = predict(keel, {"features": HOUSE})
                self.assertEqual((status, body["version"]), (200, version))
        finally:
            shutil.rmtree(models, ignore_errors=True)

    def test_batching_off_serves_the_same_answers(self):
        with self.serve(**{"ml.max_batch": 1, "ml.cache_enabled": False}) as keel:
            _, _, one = predict(keel, {"features": HOUSE})
            _, headers, two = predict(keel, {"features": HOUSE})
            self.assertEqual(one["prediction"], two["prediction"])
            self.assertEqual(headers["x-cache"], "MISS")
        with self.serve() as batched:
            _, _, three = predict(batched, {"features": HOUSE})
        self.assertEqual(three["prediction"], one["prediction"])


if __name__ == "__main__":
    unittest.main()
