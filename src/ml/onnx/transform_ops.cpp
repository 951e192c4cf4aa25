// The feature transforms of ai.onnx.ml: Scaler, Normalizer, Imputer, and ZipMap (kept as the tensor it
// labels: Keel answers numbers, not maps).
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ml/onnx/op.hpp"

namespace keel::ml::onnx {

namespace {

// The values per row of X along its last axis (ONNX Runtime's stride: dims[1], or dims[0] for one row).
Result<std::size_t> Stride(const Node& node, const Tensor& x) {
  if (!IsSupportedNumeric(x.type) || x.shape.empty())
    return NodeError(node, fmt::format("input {} is not numbers in rows", x.Describe()));
  return static_cast<std::size_t>(x.shape.size() == 1 ? x.shape[0] : x.shape[1]);
}

// A per-feature parameter given once per feature or once for all.
Result<void> CheckPerFeature(const Node& node, std::string_view what, std::size_t given, std::size_t stride) {
  if (given == stride || given == 1) return Ok();
  return NodeError(node, fmt::format("{} has {} values for {} features", what, given, stride));
}

class ScalerOp final : public Op {
 public:
  ScalerOp(Node node, std::vector<double> offset, std::vector<double> scale)
      : node_(std::move(node)), offset_(std::move(offset)), scale_(std::move(scale)) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    auto stride = Stride(node_, x);
    if (!stride) return std::move(stride).error();
    if (auto fits = CheckPerFeature(node_, "scale", scale_.size(), *stride); !fits) return fits;
    Tensor out = Tensor::Zeros(ElementType::kFloat, x.shape);
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      std::size_t f = scale_.size() == 1 ? 0 : i % *stride;
      out.values[i] = (x.values[i] - offset_[f]) * scale_[f];
    }
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const std::vector<double> offset_, scale_;
};

class NormalizerOp final : public Op {
 public:
  enum class Norm { kMax, kL1, kL2 };
  NormalizerOp(Node node, Norm norm) : node_(std::move(node)), norm_(norm) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    auto stride = Stride(node_, x);
    if (!stride) return std::move(stride).error();
    if (x.shape.size() > 2)
      return NodeError(node_, fmt::format("input {} has more than two axes", x.Describe()));
    Tensor out = Tensor::Zeros(ElementType::kFloat, x.shape);
    for (std::size_t start = 0; start + *stride <= x.values.size() && *stride > 0; start += *stride) {
      std::span<const double> row(x.values.data() + start, *stride);
      std::span<double> normed(out.values.data() + start, *stride);
      // As ONNX Runtime: MAX divides by the signed maximum, L2 is ±√(x²/Σx²), a zero divisor copies the row.
      double divisor = 0;
      switch (norm_) {
        case Norm::kMax:
          divisor = std::numeric_limits<double>::lowest();
          for (double v : row) divisor = std::isnan(v) ? divisor : std::max(divisor, v);
          break;
        case Norm::kL1:
          for (double v : row) divisor += std::abs(v);
          break;
        case Norm::kL2:
          for (double v : row) divisor += v * v;
          break;
      }
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (divisor == 0)
          normed[i] = row[i];
        else if (norm_ == Norm::kL2)
          normed[i] = (row[i] < 0 ? -1 : 1) * std::sqrt(row[i] * row[i] / divisor);
        else
          normed[i] = row[i] / divisor;
      }
    }
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const Norm norm_;
};

class ImputerOp final : public Op {
 public:
  ImputerOp(Node node, std::vector<double> imputed, double replaced)
      : node_(std::move(node)), imputed_(std::move(imputed)), replaced_(replaced) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    auto stride = Stride(node_, x);
    if (!stride) return std::move(stride).error();
    Tensor out = x;
    bool replaces_nan = std::isnan(replaced_);
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      double v = out.values[i];
      if (replaces_nan ? std::isnan(v) : v == replaced_)
        out.values[i] = imputed_[imputed_.size() == *stride ? i % *stride : 0];
    }
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const std::vector<double> imputed_;
  const double replaced_;
};

class ZipMapOp final : public Op {
 public:
  ZipMapOp(Node node, std::size_t labels) : node_(std::move(node)), labels_(labels) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    if (x.type != ElementType::kFloat || x.shape.empty() || x.shape.size() > 2 ||
        static_cast<std::size_t>(x.shape.back()) != labels_)
      return NodeError(node_, fmt::format("input {} is not [rows, {}] FLOAT", x.Describe(), labels_));
    outputs[0] = x;
    return Ok();
  }

 private:
  const Node node_;
  const std::size_t labels_;
};

}  // namespace

Result<std::unique_ptr<Op>> MakeScaler(const Node& node, std::int64_t /*opset*/) {
  auto offset = node.Floats("offset");
  auto scale = node.Floats("scale");
  if (scale.empty() || offset.size() != scale.size())
    return NodeError(node, fmt::format("{} offsets for {} scales", offset.size(), scale.size()));
  return std::unique_ptr<Op>(new ScalerOp(node, std::move(offset), std::move(scale)));
}

Result<std::unique_ptr<Op>> MakeNormalizer(const Node& node, std::int64_t /*opset*/) {
  std::string norm = node.String("norm", "MAX");
  if (norm != "MAX" && norm != "L1" && norm != "L2") return NodeError(node, fmt::format("norm {}", norm));
  return std::unique_ptr<Op>(new NormalizerOp(node, norm == "MAX"  ? NormalizerOp::Norm::kMax
                                                    : norm == "L1" ? NormalizerOp::Norm::kL1
                                                                   : NormalizerOp::Norm::kL2));
}

Result<std::unique_ptr<Op>> MakeImputer(const Node& node, std::int64_t /*opset*/) {
  auto floats = node.Floats("imputed_value_floats");
  auto ints = node.Ints("imputed_value_int64s");
  if (floats.empty() == ints.empty())
    return NodeError(node, "needs exactly one of imputed_value_floats and imputed_value_int64s");
  if (!floats.empty())
    return std::unique_ptr<Op>(new ImputerOp(node, floats, node.Float("replaced_value_float", 0)));
  std::vector<double> imputed(ints.begin(), ints.end());
  return std::unique_ptr<Op>(
      new ImputerOp(node, std::move(imputed), static_cast<double>(node.Int("replaced_value_int64", 0))));
}

Result<std::unique_ptr<Op>> MakeZipMap(const Node& node, std::int64_t /*opset*/) {
  auto ints = node.Ints("classlabels_int64s");
  auto strings = node.Strings("classlabels_strings");
  if (ints.empty() == strings.empty())
    return NodeError(node, "needs exactly one of classlabels_int64s and classlabels_strings");
  return std::unique_ptr<Op>(new ZipMapOp(node, ints.empty() ? strings.size() : ints.size()));
}

}  // namespace keel::ml::onnx
