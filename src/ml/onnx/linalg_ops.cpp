// The matrix operators of ai.onnx: MatMul (numpy's rules, batched), Gemm, Softmax.
#include <cmath>

#include <fmt/format.h>

#include "ml/onnx/broadcast.hpp"
#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {

namespace {

// out[M x N] += a[M x K] * b[K x N], each row-major; k in the middle loop so b and out are read in order.
void MultiplyInto(const double* a, const double* b, double* out, std::size_t m, std::size_t k,
                  std::size_t n) {
  for (std::size_t i = 0; i < m; ++i) {
    double* row = out + i * n;
    for (std::size_t p = 0; p < k; ++p) {
      double scale = a[i * k + p];
      const double* b_row = b + p * n;
      for (std::size_t j = 0; j < n; ++j) row[j] += scale * b_row[j];
    }
  }
}

class MatMulOp final : public Op {
 public:
  explicit MatMulOp(Node node) : node_(std::move(node)) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto a_input = RequireInput(node_, inputs, 0);
    if (!a_input) return std::move(a_input).error();
    auto b_input = RequireInput(node_, inputs, 1);
    if (!b_input) return std::move(b_input).error();
    const Tensor& a = **a_input;
    const Tensor& b = **b_input;
    if (!IsSupportedNumeric(a.type) || a.type != b.type || a.shape.empty() || b.shape.empty())
      return NodeError(node_, fmt::format("inputs {} and {}", a.Describe(), b.Describe()));
    // A vector becomes a one-row (a) or one-column (b) matrix, and that dimension leaves the result.
    std::vector<std::int64_t> a_shape = a.shape, b_shape = b.shape;
    if (a_shape.size() == 1) a_shape.insert(a_shape.begin(), 1);
    if (b_shape.size() == 1) b_shape.push_back(1);
    std::int64_t m = a_shape[a_shape.size() - 2], k = a_shape.back();
    std::int64_t n = b_shape.back();
    if (b_shape[b_shape.size() - 2] != k)
      return NodeError(node_, fmt::format("{} and {} do not multiply", a.Describe(), b.Describe()));
    std::vector<std::int64_t> a_batch(a_shape.begin(), a_shape.end() - 2);
    std::vector<std::int64_t> b_batch(b_shape.begin(), b_shape.end() - 2);
    auto batch = BroadcastShape(a_batch, b_batch);
    if (!batch)
      return NodeError(node_, fmt::format("{} and {} do not broadcast", a.Describe(), b.Describe()));
    if (ElementsOf(*batch) > kMaxElements) return NodeError(node_, "the product has too many matrices");
    // The matrix index of a and b for each output matrix, by broadcasting their batch dimensions.
    std::vector<double> a_index(ElementsOf(a_batch)), b_index(ElementsOf(b_batch));
    for (std::size_t i = 0; i < a_index.size(); ++i) a_index[i] = static_cast<double>(i);
    for (std::size_t i = 0; i < b_index.size(); ++i) b_index[i] = static_cast<double>(i);
    std::vector<double> pairs_a, pairs_b;
    BroadcastApply(a_index, a_batch, b_index, b_batch, *batch, pairs_a, [](double x, double) { return x; });
    BroadcastApply(a_index, a_batch, b_index, b_batch, *batch, pairs_b, [](double, double y) { return y; });

    std::vector<std::int64_t> shape = *batch;
    if (a.shape.size() > 1) shape.push_back(m);
    if (b.shape.size() > 1) shape.push_back(n);
    if (ElementsOf(shape) > kMaxElements) return NodeError(node_, "the product has too many elements");
    Tensor out = Tensor::Zeros(a.type, shape);
    auto um = static_cast<std::size_t>(m), uk = static_cast<std::size_t>(k), un = static_cast<std::size_t>(n);
    for (std::size_t i = 0; i < pairs_a.size(); ++i)
      MultiplyInto(a.values.data() + static_cast<std::size_t>(pairs_a[i]) * um * uk,
                   b.values.data() + static_cast<std::size_t>(pairs_b[i]) * uk * un,
                   out.values.data() + i * um * un, um, uk, un);
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
};

class GemmOp final : public Op {
 public:
  GemmOp(Node node, double alpha, double beta, bool trans_a, bool trans_b)
      : node_(std::move(node)), alpha_(alpha), beta_(beta), trans_a_(trans_a), trans_b_(trans_b) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto a_input = RequireInput(node_, inputs, 0);
    if (!a_input) return std::move(a_input).error();
    auto b_input = RequireInput(node_, inputs, 1);
    if (!b_input) return std::move(b_input).error();
    const Tensor& a = **a_input;
    const Tensor& b = **b_input;
    if (a.shape.size() != 2 || b.shape.size() != 2 || a.type != b.type || !IsSupportedNumeric(a.type))
      return NodeError(node_, fmt::format("inputs {} and {}", a.Describe(), b.Describe()));
    auto m = static_cast<std::size_t>(trans_a_ ? a.shape[1] : a.shape[0]);
    auto k = static_cast<std::size_t>(trans_a_ ? a.shape[0] : a.shape[1]);
    auto kb = static_cast<std::size_t>(trans_b_ ? b.shape[1] : b.shape[0]);
    auto n = static_cast<std::size_t>(trans_b_ ? b.shape[0] : b.shape[1]);
    if (k != kb)
      return NodeError(node_, fmt::format("{} and {} do not multiply", a.Describe(), b.Describe()));
    std::vector<std::int64_t> shape = {static_cast<std::int64_t>(m), static_cast<std::int64_t>(n)};
    if (ElementsOf(shape) > kMaxElements) return NodeError(node_, "the product has too many elements");
    Tensor out = Tensor::Zeros(a.type, shape);
    // Element (i, p) of op(A) and (p, j) of op(B).
    auto a_at = [&](std::size_t i, std::size_t p) { return a.values[trans_a_ ? p * m + i : i * k + p]; };
    auto b_at = [&](std::size_t p, std::size_t j) { return b.values[trans_b_ ? j * k + p : p * n + j]; };
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        double sum = 0;
        for (std::size_t p = 0; p < k; ++p) sum += a_at(i, p) * b_at(p, j);
        out.values[i * n + j] = alpha_ * sum;
      }
    if (inputs.size() > 2 && inputs[2] != nullptr && beta_ != 0) {
      const Tensor& c = *inputs[2];
      auto fits = BroadcastShape(c.shape, shape);
      if (!fits || *fits != shape)
        return NodeError(node_, fmt::format("C {} does not broadcast to [{},{}]", c.Describe(), m, n));
      std::vector<double> summed;
      double beta = beta_;
      BroadcastApply(out.values, shape, c.values, c.shape, shape, summed,
                     [beta](double y, double z) { return y + beta * z; });
      out.values = std::move(summed);
    }
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const double alpha_, beta_;
  const bool trans_a_, trans_b_;
};

class SoftmaxOp final : public Op {
 public:
  // Before opset 13 Softmax flattens the input to two dimensions at `axis` and normalises each row; from 13
  // on it normalises along `axis` alone.
  SoftmaxOp(Node node, std::int64_t axis, bool flattens)
      : node_(std::move(node)), axis_(axis), flattens_(flattens) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    if (!IsFloating(x.type)) return NodeError(node_, fmt::format("input {}", x.Describe()));
    auto rank = static_cast<std::int64_t>(x.shape.size());
    std::int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= std::max<std::int64_t>(rank, 1))
      return NodeError(node_, fmt::format("axis {} for {}", axis_, x.Describe()));
    std::size_t outer = 1, length = 1, inner = 1;
    for (std::int64_t d = 0; d < rank; ++d) {
      auto dim = static_cast<std::size_t>(x.shape[static_cast<std::size_t>(d)]);
      if (d < axis)
        outer *= dim;
      else if (d == axis || flattens_)
        length *= dim;
      else
        inner *= dim;
    }
    Tensor& out = outputs[0];
    out = x;
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t i = 0; i < inner; ++i) {
        double* base = out.values.data() + o * length * inner + i;
        double top = -INFINITY;
        for (std::size_t l = 0; l < length; ++l) top = std::max(top, base[l * inner]);
        double sum = 0;
        for (std::size_t l = 0; l < length; ++l) sum += base[l * inner] = std::exp(base[l * inner] - top);
        for (std::size_t l = 0; l < length; ++l) base[l * inner] /= sum;
      }
    out.Conform();
    return Ok();
  }

 private:
  const Node node_;
  const std::int64_t axis_;
  const bool flattens_;
};

}  // namespace

Result<std::unique_ptr<Op>> MakeMatMul(const Node& node, std::int64_t /*opset*/) {
  return std::unique_ptr<Op>(new MatMulOp(node));
}

Result<std::unique_ptr<Op>> MakeGemm(const Node& node, std::int64_t opset) {
  if (opset < 7) return NodeError(node, fmt::format("opset {} (before 7) is not supported", opset));
  return std::unique_ptr<Op>(new GemmOp(node, node.Float("alpha", 1.0), node.Float("beta", 1.0),
                                        node.Int("transA", 0) != 0, node.Int("transB", 0) != 0));
}

Result<std::unique_ptr<Op>> MakeSoftmax(const Node& node, std::int64_t opset) {
  bool flattens = opset < 13;
  return std::unique_ptr<Op>(new SoftmaxOp(node, node.Int("axis", flattens ? 1 : -1), flattens));
}

}  // namespace keel::ml::onnx
