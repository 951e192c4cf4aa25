// The ai.onnx.ml operators on nodes built by hand: tree walking (every mode, missing values), aggregation,
// base values, the classifiers' label and score rules, the linear models and the feature transforms.
#include <cmath>
#include <initializer_list>

#include <gtest/gtest.h>

#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {
namespace {

Attribute Ints(std::vector<std::int64_t> values) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(values);
  return a;
}
Attribute Floats(std::vector<double> values) {
  Attribute a;
  a.kind = Attribute::Kind::kFloats;
  a.floats = std::move(values);
  return a;
}
Attribute Strings(std::vector<std::string> values) {
  Attribute a;
  a.kind = Attribute::Kind::kStrings;
  a.strings = std::move(values);
  return a;
}
Attribute Text(std::string value) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = std::move(value);
  return a;
}
Attribute Int(std::int64_t value) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = value;
  return a;
}

Node MlNode(std::string op_type, std::map<std::string, Attribute> attributes) {
  Node node;
  node.op_type = std::move(op_type);
  node.domain = "ai.onnx.ml";
  node.inputs = {"X"};
  node.outputs = {"Y", "Z"};
  node.attributes = std::move(attributes);
  return node;
}

Tensor Rows(std::vector<std::vector<double>> rows) {
  Tensor x;
  x.type = ElementType::kFloat;
  x.shape = {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())};
  for (const auto& row : rows) x.values.insert(x.values.end(), row.begin(), row.end());
  x.Conform();
  return x;
}

// Runs `node` on `x`; its outputs.
std::vector<Tensor> Evaluate(const Node& node, const Tensor& x) {
  auto op = MakeOp(node, 3);
  EXPECT_TRUE(op.ok()) << op.error().message;
  if (!op.ok()) return {};
  std::vector<const Tensor*> inputs{&x};
  std::vector<Tensor> outputs(node.outputs.size());
  auto ran = (*op)->Run(inputs, outputs);
  EXPECT_TRUE(ran.ok()) << ran.error().message;
  return outputs;
}

// Two trees on two features. Tree 0: x0 <= 1 ? (leaf 1.0) : (x1 > 5 ? leaf 10 : leaf 20), missing x0 goes
// true. Tree 1: x1 < 2 ? leaf 100 : leaf 200 (missing goes false).
std::map<std::string, Attribute> TwoTrees(std::string prefix) {
  return {
      {"nodes_treeids", Ints({0, 0, 0, 0, 0, 1, 1, 1})},
      {"nodes_nodeids", Ints({0, 1, 2, 3, 4, 0, 1, 2})},
      {"nodes_featureids", Ints({0, 0, 1, 0, 0, 1, 0, 0})},
      {"nodes_modes",
       Strings({"BRANCH_LEQ", "LEAF", "BRANCH_GT", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF"})},
      {"nodes_values", Floats({1, 0, 5, 0, 0, 2, 0, 0})},
      {"nodes_truenodeids", Ints({1, 0, 3, 0, 0, 1, 0, 0})},
      {"nodes_falsenodeids", Ints({2, 0, 4, 0, 0, 2, 0, 0})},
      {"nodes_missing_value_tracks_true", Ints({1, 0, 0, 0, 0, 0, 0, 0})},
      {prefix + "_treeids", Ints({0, 0, 0, 1, 1})},
      {prefix + "_nodeids", Ints({1, 3, 4, 1, 2})},
      {prefix + "_ids", Ints({0, 0, 0, 0, 0})},
      {prefix + "_weights", Floats({1, 10, 20, 100, 200})},
  };
}

TEST(OnnxTreeEnsemble, WalksEveryTreeAndSendsMissingValuesWhereTheNodeSays) {
  auto attributes = TwoTrees("target");
  Node node = MlNode("TreeEnsembleRegressor", attributes);
  node.outputs = {"Y"};
  auto out = Evaluate(node, Rows({{0, 0}, {3, 9}, {3, 1}, {NAN, 3}, {3, NAN}}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (std::vector<std::int64_t>{5, 1}));
  // {1+100, 10+200, 20+100, missing x0 → true: 1+200, missing x1: GT false → 20, LT false → 200}
  EXPECT_EQ(out[0].values, (std::vector<double>{101, 210, 120, 201, 220}));

  attributes["aggregate_function"] = Text("AVERAGE");
  attributes["base_values"] = Floats({0.5});
  node.attributes = attributes;
  EXPECT_EQ(Evaluate(node, Rows({{0, 0}}))[0].values, (std::vector<double>{51}));
  attributes["aggregate_function"] = Text("MIN");
  node.attributes = attributes;
  EXPECT_EQ(Evaluate(node, Rows({{0, 0}}))[0].values, (std::vector<double>{1.5}));
  attributes["aggregate_function"] = Text("MAX");
  node.attributes = attributes;
  EXPECT_EQ(Evaluate(node, Rows({{0, 0}}))[0].values, (std::vector<double>{100.5}));
}

TEST(OnnxTreeEnsemble, EqualityModesAndTwoTargets) {
  Node node = MlNode("TreeEnsembleRegressor", {{"nodes_treeids", Ints({0, 0, 0})},
                                               {"nodes_nodeids", Ints({0, 1, 2})},
                                               {"nodes_featureids", Ints({0, 0, 0})},
                                               {"nodes_modes", Strings({"BRANCH_NEQ", "LEAF", "LEAF"})},
                                               {"nodes_values", Floats({4, 0, 0})},
                                               {"nodes_truenodeids", Ints({1, 0, 0})},
                                               {"nodes_falsenodeids", Ints({2, 0, 0})},
                                               {"n_targets", Int(2)},
                                               {"target_treeids", Ints({0, 0, 0})},
                                               {"target_nodeids", Ints({1, 2, 2})},
                                               {"target_ids", Ints({0, 0, 1})},
                                               {"target_weights", Floats({7, 8, 9})}});
  node.outputs = {"Y"};
  auto out = Evaluate(node, Rows({{4}, {5}, {NAN}}));
  // 4 != 4 is false: leaf 2 (8, 9); 5: leaf 1 (7, nothing for target 1); NaN != 4 is true: leaf 1.
  EXPECT_EQ(out[0].values, (std::vector<double>{8, 9, 7, 0, 7, 0}));
}

TEST(OnnxTreeEnsemble, ARandomForestsBinaryClassifierScoresOneMinusPAndP) {
  auto attributes = TwoTrees("class");
  attributes["class_weights"] = Floats({0.1, 0.2, 0.3, 0.25, 0.4});
  attributes["classlabels_int64s"] = Ints({3, 7});
  auto out = Evaluate(MlNode("TreeEnsembleClassifier", attributes), Rows({{0, 0}, {3, 9}}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].values, (std::vector<double>{3, 7}));  // p = 0.35 → label 3; p = 0.6 → label 7
  ASSERT_EQ(out[1].shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_NEAR(out[1].values[0], 0.65, 1e-6);
  EXPECT_NEAR(out[1].values[1], 0.35, 1e-6);
  EXPECT_NEAR(out[1].values[3], 0.6, 1e-6);
}

TEST(OnnxTreeEnsemble, ABoostedBinaryClassifierTakesTheLogisticOfItsMargin) {
  auto attributes = TwoTrees("class");
  attributes["class_weights"] = Floats({-1, 0.5, 2, -0.25, 0.75});
  attributes["base_values"] = Floats({0.1});
  attributes["post_transform"] = Text("LOGISTIC");
  attributes["classlabels_strings"] = Strings({"no", "yes"});
  auto out = Evaluate(MlNode("TreeEnsembleClassifier", attributes), Rows({{0, 0}, {3, 9}}));
  EXPECT_EQ(out[0].strings, (std::vector<std::string>{"no", "yes"}));  // margins -1.15 and 1.35
  EXPECT_NEAR(out[1].values[1], 1 / (1 + std::exp(1.15)), 1e-6);
  EXPECT_NEAR(out[1].values[0] + out[1].values[1], 1, 1e-6);
  EXPECT_NEAR(out[1].values[3], 1 / (1 + std::exp(-1.35)), 1e-6);
}

TEST(OnnxTreeEnsemble, AMulticlassClassifierPicksTheHighestScoreThenTakesTheSoftmax) {
  auto attributes = TwoTrees("class");
  attributes["class_ids"] = Ints({0, 1, 2, 2, 1});
  attributes["class_weights"] = Floats({1, 1, 1, 1, 1});
  attributes["classlabels_int64s"] = Ints({10, 20, 30});
  attributes["post_transform"] = Text("SOFTMAX");
  auto out = Evaluate(MlNode("TreeEnsembleClassifier", attributes), Rows({{3, 9}}));
  // Leaves: tree 0 → node 3 (class 1), tree 1 → node 2 (class 1): scores [0, 2, 0].
  EXPECT_EQ(out[0].values, (std::vector<double>{20}));
  double e2 = std::exp(2.0);
  EXPECT_NEAR(out[1].values[1], e2 / (e2 + 2), 1e-6);
}

TEST(OnnxTreeEnsemble, RefusesWhatDoesNotHoldTogether) {
  auto attributes = TwoTrees("target");
  attributes["nodes_modes"] =
      Strings({"BRANCH_SOMETIMES", "LEAF", "BRANCH_GT", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF"});
  auto made = MakeOp(MlNode("TreeEnsembleRegressor", attributes), 3);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("BRANCH_SOMETIMES"), std::string::npos);

  attributes = TwoTrees("target");
  attributes["nodes_truenodeids"] = Ints({1, 0, 0, 0, 0, 1, 0, 0});  // node 2 is its own true child
  EXPECT_FALSE(MakeOp(MlNode("TreeEnsembleRegressor", attributes), 3).ok());

  attributes = TwoTrees("target");
  attributes["nodes_treeids"] = Ints({0, 0, 1, 0, 0, 1, 1, 1});  // tree 0 listed in two runs
  EXPECT_FALSE(MakeOp(MlNode("TreeEnsembleRegressor", attributes), 3).ok());
}

TEST(OnnxTreeEnsemble, TargetsBeyondItsWeightsAreRefusedBeforeTheyTakeMemory) {
  auto attributes = TwoTrees("target");
  attributes["n_targets"] = Int(1'000'000'000'000);
  auto made = MakeOp(MlNode("TreeEnsembleRegressor", attributes), 3);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("n_targets 1000000000000"), std::string::npos) << made.error().message;

  attributes = TwoTrees("target");
  attributes["target_ids"] = Ints({0, 0, 0, 0, 3});  // n_targets is 1
  made = MakeOp(MlNode("TreeEnsembleRegressor", attributes), 3);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("target id is 3"), std::string::npos) << made.error().message;
}

TEST(OnnxOperators, AShapeOrProductBeyondTheElementLimitIsAnErrorNotAnAllocation) {
  EXPECT_EQ(ElementsOf({std::int64_t{1} << 40, std::int64_t{1} << 40}), kMaxElements + 1);
  EXPECT_EQ(ElementsOf({0, std::int64_t{1} << 40}), 0u);
  EXPECT_EQ(ElementsOf({3, 4}), 12u);

  Node reshape;
  reshape.op_type = "Reshape";
  reshape.inputs = {"data", "shape"};
  reshape.outputs = {"reshaped"};
  auto op = MakeOp(reshape, 14);
  ASSERT_TRUE(op.ok());
  Tensor empty = Tensor::Zeros(ElementType::kFloat, {0});
  Tensor huge;
  huge.type = ElementType::kInt64;
  huge.shape = {2};
  huge.values = {4294967296.0, 4294967296.0};
  std::vector<const Tensor*> inputs{&empty, &huge};
  std::vector<Tensor> outputs(1);
  EXPECT_FALSE((*op)->Run(inputs, outputs).ok());

  // [2^20, 0] x [0, 2^20]: no values in either, 2^40 in the product.
  Node matmul;
  matmul.op_type = "MatMul";
  matmul.inputs = {"a", "b"};
  matmul.outputs = {"y"};
  op = MakeOp(matmul, 13);
  ASSERT_TRUE(op.ok());
  Tensor a = Tensor::Zeros(ElementType::kFloat, {1 << 20, 0});
  Tensor b = Tensor::Zeros(ElementType::kFloat, {0, 1 << 20});
  inputs = {&a, &b};
  auto ran = (*op)->Run(inputs, outputs);
  ASSERT_FALSE(ran.ok());
  EXPECT_NE(ran.error().message.find("too many elements"), std::string::npos);
}

TEST(OnnxOperators, AnOperatorKeelDoesNotImplementIsRefusedByNameAndDomain) {
  Node node = MlNode("SVMRegressor", {});
  auto made = MakeOp(node, 3);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().message, "operator SVMRegressor (ai.onnx.ml) is not one Keel implements");
}

TEST(OnnxLinear, RegressorAndClassifiers) {
  Node regressor = MlNode(
      "LinearRegressor",
      {{"coefficients", Floats({2, -1, 0.5, 0.5})}, {"intercepts", Floats({1, 0})}, {"targets", Int(2)}});
  regressor.outputs = {"Y"};
  EXPECT_EQ(Evaluate(regressor, Rows({{3, 4}}))[0].values, (std::vector<double>{3, 3.5}));

  Node binary = MlNode("LinearClassifier", {{"coefficients", Floats({1, -1})},
                                            {"intercepts", Floats({0.25})},
                                            {"classlabels_ints", Ints({0, 1})}});
  auto out = Evaluate(binary, Rows({{0.5, 0}, {0, 1}}));
  EXPECT_EQ(out[0].values, (std::vector<double>{1, 0}));
  EXPECT_EQ(out[1].values, (std::vector<double>{0.25, 0.75, 1.75, -0.75}));  // [1 - z, z]

  Node multi = MlNode("LinearClassifier", {{"coefficients", Floats({1, 0, 0, 1, -1, -1})},
                                           {"intercepts", Floats({0, 0, 0})},
                                           {"classlabels_strings", Strings({"a", "b", "c"})},
                                           {"post_transform", Text("SOFTMAX")}});
  out = Evaluate(multi, Rows({{1, 2}}));
  EXPECT_EQ(out[0].strings, (std::vector<std::string>{"b"}));
  double sum = std::exp(1.0) + std::exp(2.0) + std::exp(-3.0);
  EXPECT_NEAR(out[1].values[1], std::exp(2.0) / sum, 1e-6);
}

TEST(OnnxTransforms, ScalerNormalizerImputer) {
  Node scaler = MlNode("Scaler", {{"offset", Floats({1, 2})}, {"scale", Floats({2, 0.5})}});
  scaler.outputs = {"Y"};
  EXPECT_EQ(Evaluate(scaler, Rows({{3, 4}}))[0].values, (std::vector<double>{4, 1}));

  Node l1 = MlNode("Normalizer", {{"norm", Text("L1")}});
  l1.outputs = {"Y"};
  EXPECT_EQ(Evaluate(l1, Rows({{1, -3}, {0, 0}}))[0].values, (std::vector<double>{0.25, -0.75, 0, 0}));
  Node l2 = MlNode("Normalizer", {{"norm", Text("L2")}});
  l2.outputs = {"Y"};
  auto normed = Evaluate(l2, Rows({{3, -4}}))[0].values;
  EXPECT_NEAR(normed[0], 0.6, 1e-6);
  EXPECT_NEAR(normed[1], -0.8, 1e-6);
  Node max = MlNode("Normalizer", {{"norm", Text("MAX")}});
  max.outputs = {"Y"};
  EXPECT_EQ(Evaluate(max, Rows({{2, 4}}))[0].values, (std::vector<double>{0.5, 1}));

  Attribute nan;
  nan.kind = Attribute::Kind::kFloat;
  nan.f = NAN;
  Node imputer = MlNode("Imputer", {{"imputed_value_floats", Floats({7, 8})}, {"replaced_value_float", nan}});
  imputer.outputs = {"Y"};
  EXPECT_EQ(Evaluate(imputer, Rows({{NAN, 1}, {2, NAN}}))[0].values, (std::vector<double>{7, 1, 2, 8}));
}

}  // namespace
}  // namespace keel::ml::onnx
