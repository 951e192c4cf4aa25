// MakeOp: the table of the operators Keel implements, by domain and name.
#include "ml/onnx/op.hpp"

#include <string>
#include <utility>

#include <fmt/format.h>

namespace keel::ml::onnx {

namespace {

struct Entry {
  std::string_view domain;
  std::string_view op_type;
  OpMaker make;
};

constexpr Entry kOperators[] = {
    {"", "Add", MakeBinaryOp},
    {"", "Sub", MakeBinaryOp},
    {"", "Mul", MakeBinaryOp},
    {"", "Div", MakeBinaryOp},
    {"", "Relu", MakeUnaryOp},
    {"", "Sigmoid", MakeUnaryOp},
    {"", "Tanh", MakeUnaryOp},
    {"", "Identity", MakeUnaryOp},
    {"", "Cast", MakeCast},
    {"", "Reshape", MakeReshape},
    {"", "Flatten", MakeFlatten},
    {"", "Concat", MakeConcat},
    {"", "MatMul", MakeMatMul},
    {"", "Gemm", MakeGemm},
    {"", "Softmax", MakeSoftmax},
    {"ai.onnx.ml", "TreeEnsembleRegressor", MakeTreeEnsemble},
    {"ai.onnx.ml", "TreeEnsembleClassifier", MakeTreeEnsemble},
    {"ai.onnx.ml", "LinearRegressor", MakeLinearRegressor},
    {"ai.onnx.ml", "LinearClassifier", MakeLinearClassifier},
    {"ai.onnx.ml", "Scaler", MakeScaler},
    {"ai.onnx.ml", "Normalizer", MakeNormalizer},
    {"ai.onnx.ml", "Imputer", MakeImputer},
    {"ai.onnx.ml", "ZipMap", MakeZipMap},
};

}  // namespace

Error NodeError(const Node& node, std::string_view message) {
  std::string named = node.name.empty() ? std::string() : fmt::format(" node {}", node.name);
  return Error{ErrorCode::kInvalidArgument, fmt::format("{}{}: {}", node.Describe(), named, message)};
}

Result<const Tensor*> RequireInput(const Node& node, std::span<const Tensor* const> inputs,
                                   std::size_t index) {
  if (index >= inputs.size() || inputs[index] == nullptr)
    return NodeError(node, fmt::format("input {} is missing", index));
  return inputs[index];
}

Result<std::unique_ptr<Op>> MakeOp(const Node& node, std::int64_t opset) {
  for (const auto& entry : kOperators)
    if (entry.domain == node.domain && entry.op_type == node.op_type) return entry.make(node, opset);
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("operator {} is not one Keel implements", node.Describe())};
}

}  // namespace keel::ml::onnx
