// An operator of a compiled ONNX graph: made once from its node (attributes read and checked, a tree ensemble
// laid out flat), then run on every batch. The Make* functions are the operators Keel implements; a node of
// any other operator is refused when the graph compiles (op_registry.cpp).
//
// Thread safety: Run is const and safe from any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "ml/onnx/graph.hpp"
#include "ml/onnx/tensor.hpp"

namespace keel::ml::onnx {

class Op {
 public:
  virtual ~Op() = default;
  // REQUIRES: one entry per node input (null for an optional input left out) and per node output.
  virtual Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const = 0;
};

using OpMaker = Result<std::unique_ptr<Op>> (*)(const Node& node, std::int64_t opset);

// The operator for `node`, whose domain the model imports at `opset`. kInvalidArgument naming the operator
// and its domain when Keel does not implement it, or naming the attribute it cannot honour.
Result<std::unique_ptr<Op>> MakeOp(const Node& node, std::int64_t opset);

// A failure of `node`, named in the message.
Error NodeError(const Node& node, std::string_view message);
// The input at `index`, or an error naming the node when it is missing.
Result<const Tensor*> RequireInput(const Node& node, std::span<const Tensor* const> inputs,
                                   std::size_t index);

// ai.onnx (math_ops.cpp, shape_ops.cpp, linalg_ops.cpp)
Result<std::unique_ptr<Op>> MakeBinaryOp(const Node& node, std::int64_t opset);  // Add Sub Mul Div
Result<std::unique_ptr<Op>> MakeUnaryOp(const Node& node, std::int64_t opset);   // Relu Sigmoid Tanh Identity
Result<std::unique_ptr<Op>> MakeCast(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeReshape(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeFlatten(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeConcat(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeMatMul(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeGemm(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeSoftmax(const Node& node, std::int64_t opset);
// ai.onnx.ml (tree_ensemble_op.cpp, linear_ops.cpp, transform_ops.cpp)
Result<std::unique_ptr<Op>> MakeTreeEnsemble(const Node& node, std::int64_t opset);  // Regressor, Classifier
Result<std::unique_ptr<Op>> MakeLinearRegressor(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeLinearClassifier(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeScaler(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeNormalizer(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeImputer(const Node& node, std::int64_t opset);
Result<std::unique_ptr<Op>> MakeZipMap(const Node& node, std::int64_t opset);

}  // namespace keel::ml::onnx
