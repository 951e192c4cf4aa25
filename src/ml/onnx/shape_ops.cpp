// The operators of ai.onnx that only move values: Reshape, Flatten, Concat.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {

namespace {

class ReshapeOp final : public Op {
 public:
  ReshapeOp(Node node, bool allow_zero) : node_(std::move(node)), allow_zero_(allow_zero) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto data = RequireInput(node_, inputs, 0);
    if (!data) return std::move(data).error();
    auto shape_input = RequireInput(node_, inputs, 1);
    if (!shape_input) return std::move(shape_input).error();
    const Tensor& x = **data;
    std::vector<std::int64_t> shape;
    std::size_t known = 1;
    int inferred = -1;
    for (std::size_t i = 0; i < (*shape_input)->values.size(); ++i) {
      auto dim = static_cast<std::int64_t>((*shape_input)->values[i]);
      if (dim == 0 && !allow_zero_) {
        if (i >= x.shape.size()) return NodeError(node_, "a 0 in the shape past the input's rank");
        dim = x.shape[i];
      }
      if (dim == -1) {
        if (inferred >= 0) return NodeError(node_, "more than one -1 in the shape");
        inferred = static_cast<int>(i);
      } else if (dim < 0 || static_cast<std::size_t>(dim) > kMaxElements) {
        return NodeError(node_, fmt::format("dimension {} in the shape", dim));
      } else {
        known = std::min(known * static_cast<std::size_t>(dim), kMaxElements + 1);
      }
      shape.push_back(dim);
    }
    std::size_t elements = x.Elements();
    if (inferred >= 0) {
      if (known == 0 || elements % known != 0)
        return NodeError(node_,
                         fmt::format("{} cannot take the shape [{}]", x.Describe(), fmt::join(shape, ",")));
      shape[static_cast<std::size_t>(inferred)] = static_cast<std::int64_t>(elements / known);
    } else if (known != elements) {
      return NodeError(node_,
                       fmt::format("{} cannot take the shape [{}]", x.Describe(), fmt::join(shape, ",")));
    }
    Tensor& out = outputs[0];
    out = x;
    out.shape = std::move(shape);
    return Ok();
  }

 private:
  const Node node_;
  const bool allow_zero_;
};

class FlattenOp final : public Op {
 public:
  FlattenOp(Node node, std::int64_t axis) : node_(std::move(node)), axis_(axis) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto data = RequireInput(node_, inputs, 0);
    if (!data) return std::move(data).error();
    const Tensor& x = **data;
    auto rank = static_cast<std::int64_t>(x.shape.size());
    std::int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis > rank) return NodeError(node_, fmt::format("axis {} for {}", axis_, x.Describe()));
    std::int64_t outer = 1, inner = 1;
    for (std::int64_t i = 0; i < rank; ++i)
      (i < axis ? outer : inner) *= x.shape[static_cast<std::size_t>(i)];
    Tensor& out = outputs[0];
    out = x;
    out.shape = {outer, inner};
    return Ok();
  }

 private:
  const Node node_;
  const std::int64_t axis_;
};

class ConcatOp final : public Op {
 public:
  ConcatOp(Node node, std::int64_t axis) : node_(std::move(node)), axis_(axis) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto first = RequireInput(node_, inputs, 0);
    if (!first) return std::move(first).error();
    const Tensor& head = **first;
    auto rank = static_cast<std::int64_t>(head.shape.size());
    std::int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank)
      return NodeError(node_, fmt::format("axis {} for {}", axis_, head.Describe()));
    auto at = static_cast<std::size_t>(axis);
    std::vector<std::int64_t> shape = head.shape;
    shape[at] = 0;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      auto input = RequireInput(node_, inputs, k);
      if (!input) return std::move(input).error();
      const Tensor& part = **input;
      bool fits = part.type == head.type && part.shape.size() == head.shape.size();
      for (std::size_t d = 0; fits && d < part.shape.size(); ++d)
        fits = d == at || part.shape[d] == head.shape[d];
      if (!fits)
        return NodeError(node_, fmt::format("{} does not fit beside {}", part.Describe(), head.Describe()));
      shape[at] += part.shape[at];
    }
    // Each input contributes a run of (its axis length x inner) elements per outer index.
    std::size_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < at; ++d) outer *= static_cast<std::size_t>(shape[d]);
    for (std::size_t d = at + 1; d < shape.size(); ++d) inner *= static_cast<std::size_t>(shape[d]);
    Tensor out = Tensor::Zeros(head.type, shape);
    std::size_t offset = 0;
    for (std::size_t o = 0; o < outer; ++o) {
      for (const Tensor* part : inputs) {
        std::size_t run = static_cast<std::size_t>(part->shape[at]) * inner;
        if (head.type == ElementType::kString)
          std::copy_n(part->strings.begin() + static_cast<std::ptrdiff_t>(o * run), run,
                      out.strings.begin() + static_cast<std::ptrdiff_t>(offset));
        else
          std::copy_n(part->values.begin() + static_cast<std::ptrdiff_t>(o * run), run,
                      out.values.begin() + static_cast<std::ptrdiff_t>(offset));
        offset += run;
      }
    }
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const std::int64_t axis_;
};

}  // namespace

Result<std::unique_ptr<Op>> MakeReshape(const Node& node, std::int64_t opset) {
  if (opset < 5)
    return NodeError(node, fmt::format("opset {} (shape as an attribute) is not supported", opset));
  return std::unique_ptr<Op>(new ReshapeOp(node, node.Int("allowzero", 0) != 0));
}

Result<std::unique_ptr<Op>> MakeFlatten(const Node& node, std::int64_t /*opset*/) {
  return std::unique_ptr<Op>(new FlattenOp(node, node.Int("axis", 1)));
}

Result<std::unique_ptr<Op>> MakeConcat(const Node& node, std::int64_t /*opset*/) {
  if (!node.Find("axis")) return NodeError(node, "no axis attribute");
  return std::unique_ptr<Op>(new ConcatOp(node, node.Int("axis", 0)));
}

}  // namespace keel::ml::onnx
