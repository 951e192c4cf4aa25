"""scikit-learn models trained on the shipped Ames data, written as ONNX graphs with python3-onnx's helper (no
converter package is in Debian 12, so this file is the converter), with each model's own predictions of the
holdout rows for Keel to match.

Models: gradient boosting and a random forest (ai.onnx.ml TreeEnsembleRegressor, SUM and AVERAGE), a linear
regression behind a standard scaler (Scaler, LinearRegressor), a small MLP (Cast, Sub, Div, MatMul, Add, Relu,
Gemm, Mul), and a gradient-boosted classifier of "above the median price" (TreeEnsembleClassifier with
LOGISTIC, ZipMap). Keel's inputs are float32, so every model predicts the float32-rounded rows here too."""
import csv
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

OPSETS = [helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)]
PRICE_SCALE = 1e5  # the MLP learns prices in units of $100,000


def read_ames(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], np.array(rows[1:], dtype=np.float64)
    return header[:-1], body[:, :-1], body[:, -1]


def split(x, y, seed=7, holdout=0.2):
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(len(y) * (1 - holdout))
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def float_threshold(threshold):
    """The largest float32 at or below a double threshold: x <= it exactly when x <= threshold, for every float32
    x (scikit-learn compares float32 inputs with double thresholds; ONNX stores float thresholds)."""
    t = np.float32(threshold)
    if float(t) > threshold:
        t = np.nextafter(t, np.float32(-np.inf))
    return float(t)


def tree_attributes(trees, weight_of, prefix, class_id=0):
    """nodes_* and <prefix>_* attributes of scikit-learn trees; weight_of(tree index, leaf value) is the leaf's
    weight."""
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                         "nodes_truenodeids", "nodes_falsenodeids",
                         f"{prefix}_treeids", f"{prefix}_nodeids", f"{prefix}_ids", f"{prefix}_weights")}
    for t, tree in enumerate(trees):
        s = tree.tree_
        for node in range(s.node_count):
            leaf = s.children_left[node] == -1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(node)
            a["nodes_featureids"].append(0 if leaf else int(s.feature[node]))
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["nodes_values"].append(0.0 if leaf else float_threshold(s.threshold[node]))
            a["nodes_truenodeids"].append(0 if leaf else int(s.children_left[node]))
            a["nodes_falsenodeids"].append(0 if leaf else int(s.children_right[node]))
            if leaf:
                a[f"{prefix}_treeids"].append(t)
                a[f"{prefix}_nodeids"].append(node)
                a[f"{prefix}_ids"].append(class_id)
                a[f"{prefix}_weights"].append(float(weight_of(t, s.value[node][0][0])))
    return a


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "keel_test", inputs, outputs, initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=OPSETS, producer_name="keel-tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def features_input(width):
    return helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", width])


def gradient_boosting(x, y):
    gbr = GradientBoostingRegressor(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0).fit(x, y)
    init = float(gbr.init_.constant_[0][0])
    attrs = tree_attributes([e[0] for e in gbr.estimators_], lambda t, v: gbr.learning_rate * v, "target")
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1,
                            base_values=[init], aggregate_function="SUM", **attrs)
    return gbr, model([node], [features_input(x.shape[1])],
                      [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])])


def random_forest(x, y):
    rf = RandomForestRegressor(n_estimators=30, max_depth=9, random_state=0).fit(x, y)
    attrs = tree_attributes(rf.estimators_, lambda t, v: v, "target")
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1,
                            aggregate_function="AVERAGE", **attrs)
    return rf, model([node], [features_input(x.shape[1])],
                     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])])


class ScaledLinear:
    def fit(self, x, y):
        self.scaler = StandardScaler().fit(x)
        self.linear = LinearRegression().fit(self.scaler.transform(x), y)
        return self

    def predict(self, x):
        return self.linear.predict(self.scaler.transform(x))


def linear(x, y):
    m = ScaledLinear().fit(x, y)
    # Scaler keeps its offsets as float32: a latitude's mean moves by 2e-6 degrees, which the coefficient of a
    # feature scaled by 0.025 degrees turns into dollars. The intercept takes the shift back.
    offset = m.scaler.mean_.astype(np.float32).astype(np.float64)
    scale = (1 / m.scaler.scale_).astype(np.float32).astype(np.float64)
    intercept = m.linear.intercept_ + float(np.sum(m.linear.coef_ * (offset - m.scaler.mean_) * scale))
    scaler = helper.make_node("Scaler", ["X"], ["scaled"], domain="ai.onnx.ml", offset=list(offset),
                              scale=list(scale))
    regressor = helper.make_node("LinearRegressor", ["scaled"], ["Y"], domain="ai.onnx.ml", targets=1,
                                 coefficients=[float(v) for v in m.linear.coef_], intercepts=[intercept])
    return m, model([scaler, regressor], [features_input(x.shape[1])],
                    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])])


class ScaledMlp:
    def fit(self, x, y):
        self.scaler = StandardScaler().fit(x)
        self.mlp = MLPRegressor(hidden_layer_sizes=(32, 16), max_iter=400, random_state=0)
        self.mlp.fit(self.scaler.transform(x), y / PRICE_SCALE)
        return self

    def predict(self, x):
        return self.mlp.predict(self.scaler.transform(x)) * PRICE_SCALE


def mlp(x, y):
    m = ScaledMlp().fit(x, y)
    (w1, w2, w3), (b1, b2, b3) = m.mlp.coefs_, m.mlp.intercepts_
    tensors = {"mean": m.scaler.mean_, "scale": m.scaler.scale_, "w1": w1, "b1": b1, "w2t": w2.T.copy(),
               "b2": b2, "w3": w3, "b3": b3, "price_scale": np.array([PRICE_SCALE])}
    initializers = [numpy_helper.from_array(np.asarray(v, dtype=np.float64), name) for name, v in tensors.items()]
    # In double from the first node on, as scikit-learn computes; layer 1 as MatMul + Add, the others as Gemm.
    nodes = [
        helper.make_node("Cast", ["X"], ["x64"], to=TensorProto.DOUBLE),
        helper.make_node("Sub", ["x64", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "w1"], ["h1_linear"]),
        helper.make_node("Add", ["h1_linear", "b1"], ["h1_biased"]),
        helper.make_node("Relu", ["h1_biased"], ["h1"]),
        helper.make_node("Gemm", ["h1", "w2t", "b2"], ["h2_linear"], transB=1),
        helper.make_node("Relu", ["h2_linear"], ["h2"]),
        helper.make_node("Gemm", ["h2", "w3", "b3"], ["out"]),
        helper.make_node("Mul", ["out", "price_scale"], ["price"]),
        helper.make_node("Cast", ["price"], ["Y"], to=TensorProto.FLOAT),
    ]
    return m, model(nodes, [features_input(x.shape[1])],
                    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])], initializers)


class AboveMedian:
    """P(sale price above the training median)."""

    def fit(self, x, y):
        self.median = float(np.median(y))
        self.gbc = GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=0)
        self.gbc.fit(x, (y > self.median).astype(int))
        return self

    def predict(self, x):
        return self.gbc.predict_proba(x)[:, 1]


def classifier(x, y):
    m = AboveMedian().fit(x, y)
    init = float(m.gbc._raw_predict_init(x[:1])[0, 0])
    lr = m.gbc.learning_rate
    attrs = tree_attributes([e[0] for e in m.gbc.estimators_], lambda t, v: lr * v, "class")
    tree = helper.make_node("TreeEnsembleClassifier", ["X"], ["label", "probabilities"], domain="ai.onnx.ml",
                            classlabels_int64s=[0, 1], base_values=[init], post_transform="LOGISTIC", **attrs)
    zipmap = helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml",
                              classlabels_int64s=[0, 1])
    # seq(map(int64, float)), what ZipMap makes (onnx 1.12's helper has no builder for map types).
    probability = onnx.ValueInfoProto(name="output_probability")
    probability.type.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
    probability.type.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return m, model([tree, zipmap], [features_input(x.shape[1])],
                    [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]), probability])


BUILDERS = {"ames-gbr": gradient_boosting, "ames-rf": random_forest, "ames-linear": linear, "ames-mlp": mlp,
            "ames-above-median": classifier}
# The prediction of each: the first output's column 0, except the classifier's probability of class 1.
OUTPUTS = {"ames-above-median": ("output_probability", 1)}


def meta_for(name, features, x, reference, output):
    """meta.json: every feature's observed range, and the first holdout rows with scikit-learn's predictions."""
    rows = x[:8].astype(np.float32).astype(np.float64)
    meta = {"name": name, "version": "", "target": "sale_price", "trained_at": "",
            "features": [{"name": f, "min": float(x[:, i].min()) - 1, "max": float(x[:, i].max()) + 1}
                         for i, f in enumerate(features)],
            "validation_sample": {"rows": rows.tolist(), "expected": [float(v) for v in reference.predict(rows)],
                                  "tolerance": 1e-5}}
    if output:
        meta["output"] = {"name": output[0], "column": output[1]}
    return meta


def build(ames_csv, out_dir, names=None):
    """Writes <name>.onnx and <name>.meta.json per model, holdout.json (the float32 holdout rows as feature
    objects, and each model's predictions of them) and sample.csv (holdout rows with their target); returns the
    holdout."""
    features, x, y = read_ames(ames_csv)
    x_train, y_train, x_test, y_test = split(x, y)
    x_test32 = x_test.astype(np.float32).astype(np.float64)
    everything = np.vstack([x_train, x_test])
    holdout = {"rows": [dict(zip(features, map(float, row))) for row in x_test32], "predictions": {}}
    for name, builder in BUILDERS.items():
        if names and name not in names:
            continue
        reference, onnx_model = builder(x_train, y_train)
        onnx.save(onnx_model, os.path.join(out_dir, f"{name}.onnx"))
        with open(os.path.join(out_dir, f"{name}.meta.json"), "w") as f:
            json.dump(meta_for(name, features, everything, reference, OUTPUTS.get(name)), f)
        holdout["predictions"][name] = [float(v) for v in reference.predict(x_test32)]
    with open(os.path.join(out_dir, "holdout.json"), "w") as f:
        json.dump(holdout, f)
    with open(os.path.join(out_dir, "sample.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*features, "sale_price"])
        for row, target in zip(x_test32, y_test):
            writer.writerow([repr(float(v)) for v in row] + [repr(float(target))])
    return holdout


if __name__ == "__main__":
    import sys

    build(sys.argv[1], sys.argv[2], sys.argv[3:] or None)
