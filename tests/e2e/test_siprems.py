"""End-to-end: SIPREMS on both modes. Products and sales through the API (bad input refused with nothing
written), sales summed by the database, a CSV import with bad lines (all or nothing), training after an import
and from the CLI on the real catalogue, forecasts with intervals cached per version, the backtest against
seasonal naive, a worse version refused while the served one keeps serving, the /api/v1/predict limit, and
API key scopes."""
import json
import os
import random
import subprocess
import unittest

from keel import BINARY, CLUSTER_DIR, Keel, wait_for

FAST = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False,
        "jobs.poll_interval_ms": 50}
PASSWORD = "correct horse battery"
SOURCE = os.environ.get("KEEL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def monthly(sku, start_year, values):
    """CSV lines of one sale per month from January of start_year."""
    lines = []
    for i, value in enumerate(values):
        lines.append(f"{sku},{start_year + i // 12}-{i % 12 + 1:02}-01,{value}")
    return lines


def seasonal(years, base=100.0, seed=1):
    """A series with trend and a yearly pattern, plus a little noise."""
    rng = random.Random(seed)
    pattern = [0.8, 0.85, 1.0, 1.05, 1.1, 1.25, 1.4, 1.35, 1.1, 1.0, 0.9, 1.15]
    return [round((base + 2 * i) * pattern[i % 12] + rng.uniform(-3, 3), 2) for i in range(12 * years)]


class SipremsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(FAST)
        cls.keel.__enter__()
        cls.alice = cls.keel.sign_up("alice@example.com", PASSWORD)
        cls.keel.create_user("boss@example.com", PASSWORD, admin=True)
        cls.admin = cls.keel.login("boss@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def product(self, sku, **fields):
        status, body = self.keel.call("POST", "/api/v1/products", self.alice, {"sku": sku, "name": f"Product {sku}",
                                                                               **fields})
        self.assertEqual(status, 201, body)
        return body

    def import_csv(self, text, who=None):
        status, _, data = self.keel.request("POST", "/api/v1/sales/import", body=text.encode(),
                                            headers={**(who or self.alice), "Content-Type": "text/csv"}, timeout=60)
        return status, json.loads(data)

    def wait_job(self, job_id, who=None):
        def done():
            status, job = self.keel.call("GET", f"/api/v1/jobs/{job_id}", who or self.alice)
            self.assertEqual(status, 200, job)
            return job if job["state"] in ("completed", "discarded", "cancelled") else None
        job = wait_for(done, timeout=60, what=f"job {job_id}")
        self.assertEqual(job["state"], "completed", job)
        return job

    def test_products_are_created_read_patched_and_deleted(self):
        created = self.product("BRD-001", category="bakery", price=2.499, stock=40)
        self.assertEqual((created["price"], created["stock"], created["active"], created["source"]),
                         (2.5, 40, True, "user"))
        status, again = self.keel.call("POST", "/api/v1/products", self.alice, {"sku": "BRD-001", "name": "x"})
        self.assertEqual(status, 409, again)
        status, bad = self.keel.call("POST", "/api/v1/products", self.alice,
                                     {"sku": "no spaces", "name": "", "price": -1, "stock": 1.5, "colour": "red"})
        self.assertEqual(status, 422, bad)
        self.assertEqual(sorted(e["field"] for e in bad["errors"]), ["colour", "name", "price", "sku", "stock"])
        status, patched = self.keel.call("PATCH", "/api/v1/products/BRD-001", self.alice,
                                         {"price": None, "active": False})
        self.assertEqual(status, 200, patched)
        self.assertEqual((patched["price"], patched["active"], patched["stock"]), (None, False, 40))
        status, page = self.keel.call("GET", "/api/v1/products?category=bakery&active=false", self.alice)
        self.assertEqual([p["sku"] for p in page["items"]], ["BRD-001"])
        self.assertEqual(self.keel.call("DELETE", "/api/v1/products/BRD-001", self.alice)[0], 204)
        self.assertEqual(self.keel.call("GET", "/api/v1/products/BRD-001", self.alice)[0], 404)
        self.assertEqual(self.keel.call("GET", "/api/v1/products", None)[0], 401)

    def test_sales_are_recorded_and_summed_by_the_database(self):
        self.product("MLK-002", price=1.2)
        status, inserted = self.keel.call("POST", "/api/v1/sales", self.alice, [
            {"sku": "MLK-002", "date": "2026-11-29", "quantity": 4, "unit_price": 1.0},
            {"sku": "MLK-002", "date": "2026-11-30", "quantity": 8},
            {"sku": "MLK-002", "date": "2026-12-06", "quantity": 16, "unit_price": 1.5}])
        self.assertEqual((status, inserted), (201, {"inserted": 3}))
        status, bad = self.keel.call("POST", "/api/v1/sales", self.alice, [
            {"sku": "MLK-002", "date": "2026-12-07", "quantity": 1},
            {"sku": "NOPE", "date": "2026-12-07", "quantity": 1}])
        self.assertEqual(status, 422, bad)
        self.assertEqual([(e["field"], e["message"]) for e in bad["errors"]], [("[1].sku", "no product with SKU NOPE")])
        status, bad = self.keel.call("POST", "/api/v1/sales", self.alice,
                                     {"sku": "MLK-002", "date": "2026-02-30", "quantity": -2})
        self.assertEqual(sorted(e["field"] for e in bad["errors"]), ["date", "quantity"])
        self.assertEqual(self.keel.sql("SELECT COUNT(*) FROM siprems_sales WHERE sku = ?", ("MLK-002",))[0][0], 3)

        status, weeks = self.keel.call("GET", "/api/v1/products/MLK-002/sales?interval=week", self.alice)
        self.assertEqual(status, 200, weeks)
        self.assertEqual([(i["period"], i["quantity"], i["revenue"], i["sales"]) for i in weeks["items"]],
                         [("2026-11-23", 4, 4.0, 1), ("2026-11-30", 24, 24.0, 2)])
        status, months = self.keel.call("GET", "/api/v1/products/MLK-002/sales?interval=month&from=2026-11-30",
                                        self.alice)
        self.assertEqual([(i["period"], i["quantity"]) for i in months["items"]],
                         [("2026-11-01", 8), ("2026-12-01", 16)])
        status, bad = self.keel.call("GET", "/api/v1/products/MLK-002/sales?interval=year&from=2026-13-01",
                                     self.alice)
        self.assertEqual(sorted(e["field"] for e in bad["errors"]), ["from", "interval"])

    def test_an_import_with_bad_lines_writes_nothing_and_says_which(self):
        self.product("IMP-1")
        csv = "sku,date,quantity\nIMP-1,2026-01-01,5\nIMP-1,2026-01-32,5\nGHOST,2026-01-02,5\nIMP-1,2026-01-03,x\n"
        status, problem = self.import_csv(csv)
        self.assertEqual(status, 422, problem)
        self.assertEqual(problem["bad_lines"], 2)
        self.assertEqual([line["line"] for line in problem["lines"]], [3, 5])
        self.assertEqual(self.keel.sql("SELECT COUNT(*) FROM siprems_sales WHERE sku = ?", ("IMP-1",))[0][0], 0)
        # The unknown SKU is found once every line parses.
        status, problem = self.import_csv("sku,date,quantity\nIMP-1,2026-01-01,5\nGHOST,2026-01-02,5\n")
        self.assertEqual((status, [(l["line"], l["reason"]) for l in problem["lines"]]),
                         (422, [(3, "no product with SKU GHOST")]))
        status, problem = self.import_csv("date,qty\n")
        self.assertEqual(status, 422, problem)
        self.assertIn("header", problem["errors"][0]["message"])
        self.assertEqual(self.keel.sql("SELECT COUNT(*) FROM siprems_sales WHERE sku = ?", ("IMP-1",))[0][0], 0)

    def test_an_import_retrains_and_the_forecast_follows_each_served_version(self):
        self.product("SEAS-1", category="grocery")
        csv = "sku,date,quantity\n" + "\n".join(monthly("SEAS-1", 2019, seasonal(6))) + "\n"
        status, imported = self.import_csv(csv)
        self.assertEqual(status, 201, imported)
        self.assertEqual((imported["rows"], imported["skus"], imported["from"], imported["to"]),
                         (72, ["SEAS-1"], "2019-01-01", "2024-12-01"))
        job = self.wait_job(imported["training_job_id"])
        self.assertEqual(job["result"]["served"], 1, job)
        first = job["result"]["outcomes"][0]
        self.assertIn(first["family"], ("holt_winters", "xgboost"), first)

        status, headers, data = self.keel.request("GET", "/api/v1/products/SEAS-1/forecast?horizon=6",
                                                  headers=self.alice)
        forecast = json.loads(data)
        self.assertEqual((status, headers["x-forecast-cache"]), (200, "miss"), forecast)
        self.assertEqual(forecast["model"]["version"], first["version"])
        self.assertEqual(forecast["history_end"], "2024-12-01")
        self.assertEqual([p["period"] for p in forecast["points"]],
                         ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"])
        for p in forecast["points"]:
            self.assertTrue(0 <= p["lower95"] <= p["lower80"] <= p["forecast"] <= p["upper80"] <= p["upper95"], p)
        # The yearly pattern carries on: June above February.
        self.assertGreater(forecast["points"][5]["forecast"], forecast["points"][1]["forecast"])
        status, headers, again = self.keel.request("GET", "/api/v1/products/SEAS-1/forecast?horizon=6",
                                                   headers=self.alice)
        self.assertEqual((headers["x-forecast-cache"], json.loads(again)), ("hit", forecast))
        status, predicted = self.keel.call("POST", "/api/v1/predict", self.alice, {"sku": "SEAS-1", "horizon": 6})
        self.assertEqual((status, predicted), (200, forecast))

        status, backtest = self.keel.call("GET", "/api/v1/products/SEAS-1/backtest", self.alice)
        self.assertEqual(status, 200, backtest)
        self.assertEqual(backtest["split"], {"train_end": "2023-12-01", "test_start": "2024-01-01",
                                             "test_end": "2024-12-01", "periods": 12})
        self.assertEqual(backtest["served"]["version"], first["version"])
        self.assertLess(backtest["served"]["mase"], backtest["seasonal_naive"]["mase"])

        # A year of erratic sales: the next version backtests worse, is refused, and the served one stays.
        rng = random.Random(3)
        erratic = "sku,date,quantity\n" + "\n".join(monthly("SEAS-1", 2025, [rng.uniform(0, 600) for _ in range(12)]))
        status, imported = self.import_csv(erratic)
        self.assertEqual(status, 201, imported)
        job = self.wait_job(imported["training_job_id"])
        self.assertEqual(job["result"]["refused"], 1, job)
        status, models = self.keel.call("GET", "/api/v1/products/SEAS-1/models", self.alice)
        self.assertEqual([m["status"] for m in models["items"]], ["refused", "served"])
        self.assertIn(first["version"], models["items"][0]["reason"])
        status, headers, data = self.keel.request("GET", "/api/v1/products/SEAS-1/forecast?horizon=6",
                                                  headers=self.alice)
        self.assertEqual(json.loads(data)["model"]["version"], first["version"])

        # An administrator's retraining with a looser gate is a new version: a new cache key, so a miss.
        status, accepted = self.keel.call("POST", "/api/v1/train", self.alice, {"skus": ["SEAS-1"]})
        self.assertEqual(status, 403, accepted)
        status, accepted = self.keel.call("POST", "/api/v1/train", self.admin, {"skus": ["SEAS-1", "NOPE"]})
        self.assertEqual(status, 422, accepted)

    def test_cache_stats_and_the_metrics_summary_count_forecasts(self):
        self.product("CACHE-1")
        csv = "sku,date,quantity\n" + "\n".join(monthly("CACHE-1", 2020, seasonal(3, seed=5))) + "\n"
        status, imported = self.import_csv(csv)
        self.wait_job(imported["training_job_id"])
        for _ in range(4):
            self.assertEqual(self.keel.call("GET", "/api/v1/products/CACHE-1/forecast?horizon=3", self.alice)[0], 200)
        stats = [body["caches"] for _, body in self.keel.call_each("GET", "/cache-stats")]
        self.assertTrue(all({"forecasts", "predictions"} <= set(s) for s in stats), stats)
        forecasts = [s["forecasts"] for s in stats]
        self.assertEqual(sum(f["hits"] + f["misses"] for f in forecasts) >= 4, True, forecasts)
        self.assertGreaterEqual(sum(f["hits"] for f in forecasts), 4 - len(forecasts))
        self.assertGreaterEqual(sum(f["entries"] for f in forecasts), 1)
        status, _, data = self.keel.request("GET", "/metrics", headers={"Accept": "application/json"})
        summary = json.loads(data)
        self.assertEqual(status, 200)
        self.assertGreater(summary["requests"]["total"], 0)
        self.assertGreater(summary["latency_seconds"]["p99"], 0)
        self.assertIn("forecast", summary["caches"])
        status, headers, text = self.keel.request("GET", "/metrics")
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        self.assertIn(b"keel_forecast_cache_hits_total", text)

    def test_a_product_without_a_model_is_forecast_by_seasonal_naive(self):
        self.product("YOUNG-1")
        status, problem = self.keel.call("GET", "/api/v1/products/YOUNG-1/forecast", self.alice)
        self.assertEqual(status, 409, problem)
        csv = "sku,date,quantity\n" + "\n".join(monthly("YOUNG-1", 2026, [5, 6, 7])) + "\n"
        status, imported = self.import_csv(csv)
        job = self.wait_job(imported["training_job_id"])
        self.assertEqual(job["result"]["skipped"], 1, job)
        status, forecast = self.keel.call("GET", "/api/v1/products/YOUNG-1/forecast?horizon=2", self.alice)
        self.assertEqual(status, 200, forecast)
        self.assertEqual(forecast["model"], {"family": "seasonal_naive", "version": None, "trained_at": None,
                                             "fallback": True})
        self.assertEqual([p["forecast"] for p in forecast["points"]], [7, 7])
        self.assertEqual(self.keel.call("GET", "/api/v1/products/YOUNG-1/backtest", self.alice)[0], 409)
        for bad in ("0", "61", "x"):
            status, problem = self.keel.call("GET", f"/api/v1/products/YOUNG-1/forecast?horizon={bad}", self.alice)
            self.assertEqual((status, problem["errors"][0]["field"]), (422, "horizon"))
        self.assertEqual(self.keel.call("GET", "/api/v1/products/GHOST/forecast", self.alice)[0], 404)

    def test_api_keys_need_the_siprems_scope(self):
        status, bare = self.keel.call("POST", "/api/v1/auth/api-keys", self.alice, {"name": "bare", "scopes": []})
        status, scoped = self.keel.call("POST", "/api/v1/auth/api-keys", self.alice,
                                        {"name": "shop", "scopes": ["siprems"]})
        self.assertEqual(self.keel.call("GET", "/api/v1/products", {"Authorization": "Bearer " + bare["key"]})[0], 403)
        self.assertEqual(self.keel.call("GET", "/api/v1/products", {"Authorization": "Bearer " + scoped["key"]})[0],
                         200)


class SipremsCatalogueTest(unittest.TestCase):
    """The real catalogue, seeded and trained by the CLI, and the seed's stricter /api/v1/predict limit."""

    def run_keel(self, keel, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
        done = subprocess.run([BINARY, "siprems", *args, "--config", keel.config_path], capture_output=True,
                              text=True, env=env, cwd=SOURCE, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        # The command's own lines, not the log records it may also print (they carry a "level").
        return [record for record in map(json.loads, done.stdout.splitlines()) if "level" not in record]

    def test_the_real_catalogue_is_seeded_trained_and_beats_seasonal_naive(self):
        with Keel({**FAST, "jobs.workers": False}) as keel:
            seeded = self.run_keel(keel, "seed", "--if-empty")[-1]
            self.assertEqual((seeded["seeded"], seeded["products"], seeded["sales"]), (True, 10, 958))
            self.assertFalse(self.run_keel(keel, "seed", "--if-empty")[-1]["seeded"])
            lines = self.run_keel(keel, "train")
            summary, outcomes = lines[-1], lines[:-1]
            self.assertEqual((summary["products"], summary["served"], summary["failed"]), (10, 10, 0), lines)
            alice = keel.sign_up("alice@example.com", PASSWORD)
            beaten = 0
            for outcome in outcomes:
                status, backtest = keel.call("GET", f"/api/v1/products/{outcome['sku']}/backtest", alice)
                self.assertEqual(status, 200, backtest)
                rolling = backtest["rolling_origin"]
                # Never chosen when worse than seasonal naive on the backtest it was chosen by.
                self.assertLessEqual(rolling["chosen"]["mase"], rolling["seasonal_naive"]["mase"])
                beaten += rolling["chosen"]["mase"] < rolling["seasonal_naive"]["mase"]
            self.assertGreaterEqual(beaten, 6)
            status, page = keel.call("GET", "/api/v1/products?per_page=100", alice)
            self.assertEqual({p["source"] for p in page["items"]}, {"catalogue"})
            # The sales the API sums are the database's.
            status, months = keel.call("GET", "/api/v1/products/AIRPAX-INTL/sales?from=1960-01-01", alice)
            self.assertEqual(sum(i["quantity"] for i in months["items"]),
                             keel.sql("SELECT SUM(quantity) FROM siprems_sales WHERE sku = ? AND day >= ?",
                                      ("AIRPAX-INTL", "1960-01-01"))[0][0])
            self.assertEqual(sum(i["quantity"] for i in months["items"]), 5714)  # AirPassengers, 1960

    def test_predict_has_the_seeds_stricter_limit(self):
        with Keel({**FAST, "ratelimit.enabled": True, "ratelimit.user_per_minute": 100000,
                   "ratelimit.user_burst": 1000, "ratelimit.api_burst": 1000}) as keel:
            alice = keel.sign_up("alice@example.com", PASSWORD)
            keel.call("POST", "/api/v1/products", alice, {"sku": "P-1", "name": "p"})
            keel.call("POST", "/api/v1/sales", alice, {"sku": "P-1", "date": "2026-01-01", "quantity": 3})
            statuses = [keel.call("POST", "/api/v1/predict", alice, {"sku": "P-1"})[0] for _ in range(8)]
            self.assertEqual(statuses[:5], [200] * 5)
            self.assertIn(429, statuses[5:])
            self.assertEqual(keel.call("GET", "/api/v1/products/P-1/forecast", alice)[0], 200)


class SipremsPublicReadsTest(unittest.TestCase):
    """siprems.public_reads: the read routes answer without credentials and nginx caches them (scaled mode)."""

    def test_public_reads_are_cached_by_nginx_and_writes_still_need_credentials(self):
        with Keel({**FAST, "siprems.public_reads": True}) as keel:
            alice = keel.sign_up("alice@example.com", PASSWORD)
            keel.call("POST", "/api/v1/products", alice, {"sku": "PUB-1", "name": "p"})
            keel.call("POST", "/api/v1/sales", alice, {"sku": "PUB-1", "date": "2026-01-01", "quantity": 3})
            path = "/api/v1/products/PUB-1/forecast?horizon=2"
            status, headers, first = keel.request("GET", path)
            self.assertEqual((status, headers["cache-control"]), (200, "public, max-age=300"))
            status, headers, again = keel.request("GET", path)
            self.assertEqual((status, again), (200, first))
            if CLUSTER_DIR:  # nginx in front: the second read never reached Keel
                self.assertEqual(headers.get("x-cache-status"), "HIT", headers)
                status, headers, _ = keel.request("GET", path, headers=alice)
                self.assertNotEqual(headers.get("x-cache-status"), "HIT", headers)  # credentials: not cached
            for public in ("/api/v1/products", "/api/v1/products/PUB-1", "/api/v1/products/PUB-1/sales"):
                self.assertEqual(keel.call("GET", public)[0], 200, public)
            self.assertEqual(keel.call("GET", "/api/v1/products/PUB-1/backtest")[0], 409)
            self.assertEqual(keel.call("POST", "/api/v1/products", None, {"sku": "X-1", "name": "x"})[0], 401)
            self.assertEqual(keel.call("POST", "/api/v1/chat", None, {"message": "hi"})[0], 401)
            self.assertEqual(keel.call("GET", "/api/v1/products/PUB-1/models")[0], 401)


if __name__ == "__main__":
    unittest.main()
