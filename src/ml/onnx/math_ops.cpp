// The elementwise operators of ai.onnx: Add, Sub, Mul, Div with broadcasting; Relu, Sigmoid, Tanh, Identity;
// Cast.
#include <cmath>

#include <fmt/format.h>

#include "ml/onnx/broadcast.hpp"
#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {

namespace {

enum class Binary { kAdd, kSub, kMul, kDiv };

class BinaryOp final : public Op {
 public:
  BinaryOp(Node node, Binary kind) : node_(std::move(node)), kind_(kind) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto a = RequireInput(node_, inputs, 0);
    if (!a) return std::move(a).error();
    auto b = RequireInput(node_, inputs, 1);
    if (!b) return std::move(b).error();
    const Tensor& left = **a;
    const Tensor& right = **b;
    if (!IsSupportedNumeric(left.type) || left.type != right.type)
      return NodeError(node_, fmt::format("inputs {} and {}", left.Describe(), right.Describe()));
    auto shape = BroadcastShape(left.shape, right.shape);
    if (!shape)
      return NodeError(node_, fmt::format("{} and {} do not broadcast", left.Describe(), right.Describe()));
    Tensor& out = outputs[0];
    out.type = left.type;
    out.shape = *shape;
    out.strings.clear();
    bool integral = !IsFloating(left.type);
    switch (kind_) {
      case Binary::kAdd:
        BroadcastApply(left.values, left.shape, right.values, right.shape, out.shape, out.values,
                       [](double x, double y) { return x + y; });
        break;
      case Binary::kSub:
        BroadcastApply(left.values, left.shape, right.values, right.shape, out.shape, out.values,
                       [](double x, double y) { return x - y; });
        break;
      case Binary::kMul:
        BroadcastApply(left.values, left.shape, right.values, right.shape, out.shape, out.values,
                       [](double x, double y) { return x * y; });
        break;
      case Binary::kDiv:
        // Integer division truncates toward zero (Conform); by zero it is undefined in ONNX: 0 here.
        BroadcastApply(left.values, left.shape, right.values, right.shape, out.shape, out.values,
                       [integral](double x, double y) { return integral && y == 0 ? 0.0 : x / y; });
        break;
    }
    out.Conform();
    return Ok();
  }

 private:
  const Node node_;
  const Binary kind_;
};

enum class Unary { kRelu, kSigmoid, kTanh, kIdentity };

class UnaryOp final : public Op {
 public:
  UnaryOp(Node node, Unary kind) : node_(std::move(node)), kind_(kind) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    Tensor& out = outputs[0];
    if (kind_ == Unary::kIdentity) {
      out = x;
      return Ok();
    }
    if (!IsSupportedNumeric(x.type)) return NodeError(node_, fmt::format("input {}", x.Describe()));
    out.type = x.type;
    out.shape = x.shape;
    out.strings.clear();
    out.values.resize(x.values.size());
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      double v = x.values[i];
      switch (kind_) {
        case Unary::kRelu:
          out.values[i] = v > 0 ? v : 0;
          break;
        case Unary::kSigmoid:
          // Written so that neither branch overflows exp.
          out.values[i] = v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v));
          break;
        case Unary::kTanh:
          out.values[i] = std::tanh(v);
          break;
        case Unary::kIdentity:
          break;
      }
    }
    out.Conform();
    return Ok();
  }

 private:
  const Node node_;
  const Unary kind_;
};

class CastOp final : public Op {
 public:
  CastOp(Node node, ElementType to) : node_(std::move(node)), to_(to) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    if (!IsSupportedNumeric(x.type)) return NodeError(node_, fmt::format("input {}", x.Describe()));
    Tensor& out = outputs[0];
    out.type = to_;
    out.shape = x.shape;
    out.strings.clear();
    out.values = x.values;
    out.Conform();
    return Ok();
  }

 private:
  const Node node_;
  const ElementType to_;
};

}  // namespace

Result<std::unique_ptr<Op>> MakeBinaryOp(const Node& node, std::int64_t opset) {
  // Before opset 7 these took a `broadcast` attribute with other rules.
  if (opset < 7) return NodeError(node, fmt::format("opset {} (before 7) is not supported", opset));
  Binary kind = node.op_type == "Add"   ? Binary::kAdd
                : node.op_type == "Sub" ? Binary::kSub
                : node.op_type == "Mul" ? Binary::kMul
                                        : Binary::kDiv;
  return std::unique_ptr<Op>(new BinaryOp(node, kind));
}

Result<std::unique_ptr<Op>> MakeUnaryOp(const Node& node, std::int64_t /*opset*/) {
  Unary kind = node.op_type == "Relu"      ? Unary::kRelu
               : node.op_type == "Sigmoid" ? Unary::kSigmoid
               : node.op_type == "Tanh"    ? Unary::kTanh
                                           : Unary::kIdentity;
  return std::unique_ptr<Op>(new UnaryOp(node, kind));
}

Result<std::unique_ptr<Op>> MakeCast(const Node& node, std::int64_t /*opset*/) {
  auto to = static_cast<ElementType>(node.Int("to", 0));
  if (!IsSupportedNumeric(to))
    return NodeError(node, fmt::format("casting to {} is not supported", ElementTypeName(to)));
  return std::unique_ptr<Op>(new CastOp(node, to));
}

}  // namespace keel::ml::onnx
