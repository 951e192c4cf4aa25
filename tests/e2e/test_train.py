"""End-to-end: `keel train` on the shipped Ames data writes a version into the registry with its meta.json;
bad input exits non-zero and writes nothing."""
import json
import os
import subprocess
import tempfile
import unittest

from keel import BINARY

SOURCE = os.environ.get("KEEL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
AMES = os.path.join(SOURCE, "data", "ames_housing.csv")


def train(model_dir, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["KEEL_ML_MODEL_DIR"] = model_dir
    return subprocess.run([BINARY, "train", *args], capture_output=True, text=True, env=env, timeout=300)


class TrainTest(unittest.TestCase):
    def test_training_on_the_ames_sales_writes_a_version_with_its_metrics(self):
        with tempfile.TemporaryDirectory() as models:
            done = train(models, "property", "--data", AMES, "--rounds", "200")
            self.assertEqual(done.returncode, 0, done.stderr)
            summary = json.loads(done.stdout)
            self.assertEqual(summary["name"], "property")
            self.assertEqual(summary["target"], "sale_price")
            self.assertEqual(len(summary["features"]), 12)
            self.assertGreater(summary["metrics"]["r2"], 0.85)
            self.assertLess(summary["metrics"]["mape_percent"], 15)
            self.assertEqual(summary["training"]["rows"] + summary["training"]["holdout_rows"], 2930)
            self.assertIn("round 200/200", done.stderr)
            version = os.path.join(models, "property", summary["version"])
            self.assertEqual(sorted(os.listdir(os.path.join(models, "property"))), [summary["version"]])
            self.assertEqual(sorted(os.listdir(version)), ["meta.json", "model.json"])
            with open(os.path.join(version, "meta.json")) as f:
                meta = json.load(f)
            self.assertEqual(len(meta["validation_sample"]["rows"]), 8)
            self.assertEqual(len(meta["training"]["data_sha256"]), 64)

    def test_if_missing_trains_only_a_model_without_versions(self):
        with tempfile.TemporaryDirectory() as models:
            first = train(models, "property", "--data", AMES, "--rounds", "50", "--if-missing")
            self.assertEqual(first.returncode, 0, first.stderr)
            again = train(models, "property", "--data", AMES, "--rounds", "50", "--if-missing")
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn("already has 1 version(s)", again.stderr)
            self.assertEqual(len(os.listdir(os.path.join(models, "property"))), 1)

    def test_bad_input_fails_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as models:
            bad = os.path.join(models, "bad.csv")
            with open(bad, "w") as f:
                f.write("a,b,y\n" + "1,2,3\n" * 20 + "1,oops,3\n")
            done = train(models, "property", "--data", bad)
            self.assertEqual(done.returncode, 1)
            self.assertIn("line 22, column b", done.stderr)
            self.assertEqual(train(models, "Bad Name", "--data", AMES).returncode, 2)
            self.assertEqual(train(models, "property", "--data", os.path.join(models, "none.csv")).returncode, 2)
            self.assertEqual(train(models, "property", "--data", AMES, "--target", "nope").returncode, 1)
            self.assertFalse(os.path.exists(os.path.join(models, "property")) and
                             any(not n.startswith(".") for n in os.listdir(os.path.join(models, "property"))))


if __name__ == "__main__":
    unittest.main()
