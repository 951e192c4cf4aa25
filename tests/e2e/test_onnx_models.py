"""End-to-end: ONNX models on Keel's own evaluator. scikit-learn models trained on the shipped Ames data and
written as ONNX graphs (sklearn_onnx.py) are imported with `keel models import` and answer at the generic
predict route with scikit-learn's own predictions on every holdout row; the catalog names each version's
format; a truncated file, a graph that does not fit meta.json, an operator Keel does not implement and a
validation sample that does not reproduce are each refused with a clear message, the served version
unchanged."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import onnx
from onnx import TensorProto, helper

import sklearn_onnx
import xgboost_onnx
from keel import BINARY, Keel

SOURCE = os.environ.get("KEEL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
AMES = os.path.join(SOURCE, "data", "ames_housing.csv")
PASSWORD = "correct horse battery"


def keel_models(model_dir, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["KEEL_ML_MODEL_DIR"] = model_dir
    return subprocess.run([BINARY, "models", *args], capture_output=True, text=True, env=env, timeout=120)


def close(got, want, relative=1e-5, absolute=0.0):
    return abs(got - want) <= max(relative * abs(want), absolute)


class OnnxModelsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="keel-onnx-")
        cls.models = os.path.join(cls.work, "registry")
        cls.holdout = sklearn_onnx.build(AMES, cls.work)
        cls.versions = {}
        for name in sklearn_onnx.BUILDERS:
            onnx_file = os.path.join(cls.work, f"{name}.onnx")
            if name == "ames-rf":  # meta.json derived from a sample: ranges, metrics, validation rows
                done = keel_models(cls.models, "import", name, "--onnx", onnx_file, "--sample",
                                   os.path.join(cls.work, "sample.csv"))
            else:
                done = keel_models(cls.models, "import", name, "--onnx", onnx_file, "--meta",
                                   os.path.join(cls.work, f"{name}.meta.json"))
            assert done.returncode == 0, done.stderr
            cls.versions[name] = json.loads(done.stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def serve(self):
        return Keel({"ml.model_dir": self.models, "ratelimit.enabled": False, "ml.reload_poll_ms": 0})

    def test_every_holdout_prediction_equals_scikit_learns(self):
        rows = self.holdout["rows"]
        with self.serve() as keel:
            keel.create_user("analyst@example.com", PASSWORD)
            analyst = keel.login("analyst@example.com", PASSWORD)
            for name, expected in self.holdout["predictions"].items():
                got = []
                for start in range(0, len(rows), 100):
                    status, body = keel.call("POST", f"/api/v1/models/{name}/predict", analyst,
                                             {"instances": rows[start:start + 100]})
                    self.assertEqual(status, 200, body)
                    self.assertEqual((body["model"], body["version"]), (name, self.versions[name]["version"]))
                    got += body["predictions"]
                self.assertEqual(len(got), len(expected))
                # The answer carries six decimals; a probability is compared absolutely.
                absolute = 2e-6 if name == "ames-above-median" else 1e-6
                far = [(i, g, w) for i, (g, w) in enumerate(zip(got, expected)) if not close(g, w, 1e-5, absolute)]
                self.assertEqual(far, [], f"{name}: rows whose prediction is not scikit-learn's")
            status, one = keel.call("POST", "/api/v1/models/ames-gbr/predict", analyst, {"features": rows[0]})
            self.assertEqual(status, 200, one)
            self.assertTrue(close(one["prediction"], self.holdout["predictions"]["ames-gbr"][0]))

    def test_the_catalog_names_each_versions_format_and_a_derived_meta_has_metrics(self):
        rf = self.versions["ames-rf"]
        self.assertEqual(len(rf["features"]), 12)
        self.assertGreater(rf["metrics"]["r2"], 0.8)
        self.assertEqual(rf["training"]["format"], "onnx")
        with self.serve() as keel:
            status, catalog = keel.call("GET", "/api/v1/models?per_page=100")
            self.assertEqual(status, 200, catalog)
            formats = {m["name"]: m["formats"] for m in catalog["items"]}
            for name, meta in self.versions.items():
                self.assertEqual(formats[name], {meta["version"]: "onnx"})

    def test_a_version_that_does_not_check_out_is_refused_and_the_served_one_stays(self):
        name = "ames-linear"
        served = self.versions[name]["version"]
        version_dir = os.path.join(self.models, name, served)
        with open(os.path.join(version_dir, "meta.json")) as f:
            meta = json.load(f)
        with open(os.path.join(version_dir, "model.onnx"), "rb") as f:
            graph_bytes = f.read()
        unsupported = helper.make_model(
            helper.make_graph([helper.make_node("Abs", ["X"], ["A"]),
                               helper.make_node("ReduceSum", ["A"], ["Y"], axes=[1], keepdims=1)], "g",
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 12])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])]),
            opset_imports=[helper.make_opsetid("", 12)])
        wider = dict(meta, features=meta["features"] + [{"name": "pool_sqft", "min": 0, "max": 900}],
                     validation_sample=dict(meta["validation_sample"],
                                            rows=[r + [0] for r in meta["validation_sample"]["rows"]]))
        wrong_sample = dict(meta, validation_sample=dict(meta["validation_sample"],
                                                         expected=[v + 5000 for v in
                                                                   meta["validation_sample"]["expected"]]))
        broken = {
            "truncated": (graph_bytes[:len(graph_bytes) // 2], meta, "is not an ONNX model"),
            "wider": (graph_bytes, wider, "13 features"),
            "unsupported": (unsupported.SerializeToString(), meta, "operator Abs (ai.onnx) is not one Keel implements"),
            "sample": (graph_bytes, wrong_sample, "validation row 0 predicts"),
        }
        with self.serve() as keel:
            keel.create_user("admin@example.com", PASSWORD, admin=True)
            admin = keel.login("admin@example.com", PASSWORD)
            row = self.holdout["rows"][0]
            status, before = keel.call("POST", f"/api/v1/models/{name}/predict", admin, {"features": row})
            self.assertEqual((status, before["version"]), (200, served))
            for suffix, (model_bytes, version_meta, reason) in broken.items():
                with self.subTest(suffix):
                    candidate = os.path.join(self.models, name, f"{served}-{suffix}")
                    os.makedirs(candidate)
                    try:
                        with open(os.path.join(candidate, "model.onnx"), "wb") as f:
                            f.write(model_bytes)
                        with open(os.path.join(candidate, "meta.json"), "w") as f:
                            json.dump(version_meta, f)
                        status, answer = keel.call("POST", f"/api/v1/admin/models/{name}/reload", admin,
                                                   timeout=60)
                        if status == 409:  # the instance served the model: nothing newer passed
                            self.assertIn(reason, answer["detail"])
                            self.assertIn("the served version stays", answer["detail"])
                        else:  # scaled mode's other instance had not loaded it: it loads the one that passes
                            self.assertEqual((status, answer["version"]), (200, served), answer)
                            self.assertTrue(any(reason in why for why in answer["refused"]), answer)
                        status, after = keel.call("POST", f"/api/v1/models/{name}/predict", admin,
                                                  {"features": row})
                        self.assertEqual((status, after["version"], after["prediction"]),
                                         (200, served, before["prediction"]))
                    finally:
                        shutil.rmtree(candidate)

    def test_keels_own_xgboost_model_as_onnx_predicts_what_xgboost_does(self):
        with tempfile.TemporaryDirectory() as registry:
            env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
            env["KEEL_ML_MODEL_DIR"] = registry
            trained = subprocess.run([BINARY, "train", "property", "--data", AMES, "--rounds", "150"],
                                     capture_output=True, text=True, env=env, timeout=300)
            self.assertEqual(trained.returncode, 0, trained.stderr)
            version_dir = os.path.join(registry, "property", json.loads(trained.stdout)["version"])
            graph = os.path.join(registry, "property.onnx")
            onnx.save(xgboost_onnx.convert(os.path.join(version_dir, "model.json"), 12), graph)
            # The import reproduces XGBoost's validation sample (meta.json's tolerance: 1e-4 relative).
            done = keel_models(registry, "import", "property-onnx", "--onnx", graph, "--meta",
                               os.path.join(version_dir, "meta.json"))
            self.assertEqual(done.returncode, 0, done.stderr)
            rows = self.holdout["rows"][:200]
            with Keel({"ml.model_dir": registry, "ratelimit.enabled": False}) as keel:
                keel.create_user("analyst@example.com", PASSWORD)
                analyst = keel.login("analyst@example.com", PASSWORD)
                answers = {}
                for name in ("property", "property-onnx"):
                    status, body = keel.call("POST", f"/api/v1/models/{name}/predict", analyst, {"instances": rows})
                    self.assertEqual(status, 200, body)
                    answers[name] = body["predictions"]
                far = [(a, b) for a, b in zip(answers["property"], answers["property-onnx"]) if not close(a, b)]
                self.assertEqual(far, [])

    def test_an_import_that_would_be_refused_writes_nothing(self):
        with tempfile.TemporaryDirectory() as registry:
            graph = os.path.join(registry, "unsupported.onnx")
            onnx.save(helper.make_model(
                helper.make_graph([helper.make_node("SVMRegressor", ["X"], ["Y"], domain="ai.onnx.ml",
                                                    coefficients=[1.0], support_vectors=[0.0] * 12)], "g",
                                  [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 12])],
                                  [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])]),
                opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)]), graph)
            done = keel_models(registry, "import", "svm", "--onnx", graph, "--sample",
                               os.path.join(self.work, "sample.csv"))
            self.assertEqual(done.returncode, 1)
            self.assertIn("operator SVMRegressor (ai.onnx.ml) is not one Keel implements", done.stderr)
            done = keel_models(registry, "import", "linear", "--onnx", os.path.join(self.work, "ames-linear.onnx"))
            self.assertEqual(done.returncode, 1)
            self.assertIn("either a meta.json or a sample CSV", done.stderr)
            self.assertEqual([n for n in os.listdir(registry) if not n.endswith(".onnx")
                              and any(not v.startswith(".") for v in os.listdir(os.path.join(registry, n)))], [])


if __name__ == "__main__":
    unittest.main()
