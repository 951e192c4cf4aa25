"""An XGBoost model Keel trained (its model.json) written as an ONNX TreeEnsembleRegressor with the same trees:
splits `x < threshold` (BRANCH_LT), missing values to each split's default side, the base score as base value.
The benchmark compares Keel's two predictors on it; the tests check that it predicts what XGBoost does."""
import json

import onnx
from onnx import TensorProto, helper


def convert(model_json_path, width):
    with open(model_json_path) as f:
        learner = json.load(f)["learner"]
    base_score = float(learner["learner_model_param"]["base_score"])
    trees = learner["gradient_booster"]["model"]["trees"]
    a = {k: [] for k in ("nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
                         "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
                         "target_treeids", "target_nodeids", "target_ids", "target_weights")}
    for t, tree in enumerate(trees):
        for n, left in enumerate(tree["left_children"]):
            leaf = left == -1
            a["nodes_treeids"].append(t)
            a["nodes_nodeids"].append(n)
            a["nodes_featureids"].append(0 if leaf else tree["split_indices"][n])
            a["nodes_modes"].append("LEAF" if leaf else "BRANCH_LT")
            a["nodes_values"].append(0.0 if leaf else tree["split_conditions"][n])
            a["nodes_truenodeids"].append(0 if leaf else left)
            a["nodes_falsenodeids"].append(0 if leaf else tree["right_children"][n])
            a["nodes_missing_value_tracks_true"].append(0 if leaf else int(tree["default_left"][n]))
            if leaf:
                a["target_treeids"].append(t)
                a["target_nodeids"].append(n)
                a["target_ids"].append(0)
                a["target_weights"].append(tree["split_conditions"][n])
    node = helper.make_node("TreeEnsembleRegressor", ["X"], ["Y"], domain="ai.onnx.ml", n_targets=1,
                            base_values=[base_score], **a)
    graph = helper.make_graph([node], "xgboost", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", width])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    import sys

    onnx.save(convert(sys.argv[1], int(sys.argv[2])), sys.argv[3])
