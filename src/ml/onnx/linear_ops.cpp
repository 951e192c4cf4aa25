// LinearRegressor and LinearClassifier (ai.onnx.ml): X·Wᵀ + b per row, in double, with ONNX Runtime's label
// and binary-score rules.
#include <limits>

#include <fmt/format.h>

#include "ml/onnx/op.hpp"
#include "ml/onnx/post_transform.hpp"

namespace keel::ml::onnx {

namespace {

// X (one row [F] or [N, F]) times each of the `outputs` coefficient rows, plus the intercepts: [N, outputs].
Result<std::vector<double>> Linear(const Node& node, const Tensor& x, const std::vector<double>& coefficients,
                                   const std::vector<double>& intercepts, std::size_t outputs,
                                   std::size_t& rows) {
  if (!IsSupportedNumeric(x.type) || x.shape.empty() || x.shape.size() > 2)
    return NodeError(node, fmt::format("input {} is not [rows, features]", x.Describe()));
  rows = x.shape.size() == 1 ? 1 : static_cast<std::size_t>(x.shape[0]);
  auto width = static_cast<std::size_t>(x.shape.back());
  if (outputs > 0 && rows > kMaxElements / outputs)
    return NodeError(node, fmt::format("{} rows of {} scores each are too many", rows, outputs));
  if (outputs == 0 || width * outputs != coefficients.size())
    return NodeError(node, fmt::format("{} coefficients do not make {} rows for {}", coefficients.size(),
                                       outputs, x.Describe()));
  std::vector<double> scores(rows * outputs);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < outputs; ++o) {
      double sum = o < intercepts.size() ? intercepts[o] : 0.0;
      for (std::size_t f = 0; f < width; ++f) sum += x.values[r * width + f] * coefficients[o * width + f];
      scores[r * outputs + o] = sum;
    }
  return scores;
}

class LinearRegressorOp final : public Op {
 public:
  LinearRegressorOp(Node node, std::vector<double> coefficients, std::vector<double> intercepts,
                    std::size_t targets, PostTransform transform)
      : node_(std::move(node)),
        coefficients_(std::move(coefficients)),
        intercepts_(std::move(intercepts)),
        targets_(targets),
        transform_(transform) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    std::size_t rows = 0;
    auto scores = Linear(node_, **input, coefficients_, intercepts_, targets_, rows);
    if (!scores) return std::move(scores).error();
    Tensor out;
    out.type = ElementType::kFloat;
    out.shape = {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(targets_)};
    out.values = std::move(scores).value();
    for (std::size_t r = 0; r < rows; ++r)
      ApplyPostTransform(transform_, std::span<double>(out.values.data() + r * targets_, targets_));
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const std::vector<double> coefficients_, intercepts_;
  const std::size_t targets_;
  const PostTransform transform_;
};

class LinearClassifierOp final : public Op {
 public:
  LinearClassifierOp(Node node, std::vector<double> coefficients, std::vector<double> intercepts,
                     std::vector<std::int64_t> int_labels, std::vector<std::string> string_labels,
                     PostTransform transform)
      : node_(std::move(node)),
        coefficients_(std::move(coefficients)),
        intercepts_(std::move(intercepts)),
        int_labels_(std::move(int_labels)),
        string_labels_(std::move(string_labels)),
        transform_(transform) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    const Tensor& x = **input;
    std::size_t labels = string_labels_.empty() ? int_labels_.size() : string_labels_.size();
    // The number of score columns: one per intercept (as ONNX Runtime), else one per coefficient row.
    std::size_t width = x.shape.empty() ? 0 : static_cast<std::size_t>(x.shape.back());
    std::size_t classes = !intercepts_.empty() ? intercepts_.size()
                          : width == 0         ? 0
                                               : coefficients_.size() / width;
    std::size_t rows = 0;
    auto scores = Linear(node_, x, coefficients_, intercepts_, classes, rows);
    if (!scores) return std::move(scores).error();
    if (classes > 1 && classes != labels)
      return NodeError(node_, fmt::format("{} score columns for {} labels", classes, labels));
    bool binary = classes == 1;
    std::size_t columns = binary && labels == 2 ? 2 : classes;
    Tensor out_labels = Tensor::Zeros(string_labels_.empty() ? ElementType::kInt64 : ElementType::kString,
                                      {static_cast<std::int64_t>(rows)});
    Tensor z = Tensor::Zeros(ElementType::kFloat,
                             {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(columns)});
    for (std::size_t r = 0; r < rows; ++r) {
      std::span<const double> raw(scores->data() + r * classes, classes);
      std::span<double> row(z.values.data() + r * columns, columns);
      std::size_t chosen = 0;
      if (binary) {
        // One coefficient row: class 1 when the score is positive. With two labels the scores are [1 - z, z]
        // (ONNX Runtime's), or the logistic of ±z under LOGISTIC.
        double s = raw[0];
        chosen = s > 0 ? 1 : 0;
        if (columns == 2 && transform_ == PostTransform::kLogistic) {
          row[0] = Logistic(-s);
          row[1] = Logistic(s);
        } else if (columns == 2) {
          row[0] = 1 - s;
          row[1] = s;
          if (transform_ == PostTransform::kProbit) ApplyPostTransform(transform_, row);
        } else {
          row[0] = s;
          ApplyPostTransform(transform_, row);
        }
      } else {
        double top = -std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < classes; ++k) {
          row[k] = raw[k];
          if (raw[k] > top) {
            top = raw[k];
            chosen = k;
          }
        }
        ApplyPostTransform(transform_, row);
      }
      if (!string_labels_.empty())
        out_labels.strings[r] = chosen < labels ? string_labels_[chosen] : std::to_string(chosen);
      else
        out_labels.values[r] =
            chosen < labels ? static_cast<double>(int_labels_[chosen]) : static_cast<double>(chosen);
    }
    z.Conform();
    outputs[0] = std::move(out_labels);
    if (outputs.size() > 1) outputs[1] = std::move(z);
    return Ok();
  }

 private:
  const Node node_;
  const std::vector<double> coefficients_, intercepts_;
  const std::vector<std::int64_t> int_labels_;
  const std::vector<std::string> string_labels_;
  const PostTransform transform_;
};

}  // namespace

Result<std::unique_ptr<Op>> MakeLinearRegressor(const Node& node, std::int64_t /*opset*/) {
  auto transform = ParsePostTransform(node.String("post_transform", "NONE"));
  if (!transform) return NodeError(node, fmt::format("post_transform {}", node.String("post_transform", "")));
  std::int64_t targets = node.Int("targets", 1);
  auto coefficients = node.Floats("coefficients");
  auto intercepts = node.Floats("intercepts");
  if (targets < 1 || coefficients.empty() || coefficients.size() % static_cast<std::size_t>(targets) != 0)
    return NodeError(node, fmt::format("{} coefficients for {} targets", coefficients.size(), targets));
  if (!intercepts.empty() && intercepts.size() != static_cast<std::size_t>(targets))
    return NodeError(node, fmt::format("{} intercepts for {} targets", intercepts.size(), targets));
  return std::unique_ptr<Op>(new LinearRegressorOp(node, std::move(coefficients), std::move(intercepts),
                                                   static_cast<std::size_t>(targets), *transform));
}

Result<std::unique_ptr<Op>> MakeLinearClassifier(const Node& node, std::int64_t /*opset*/) {
  auto transform = ParsePostTransform(node.String("post_transform", "NONE"));
  if (!transform) return NodeError(node, fmt::format("post_transform {}", node.String("post_transform", "")));
  auto int_labels = node.Ints("classlabels_ints");
  auto string_labels = node.Strings("classlabels_strings");
  if (int_labels.empty() == string_labels.empty())
    return NodeError(node, "needs exactly one of classlabels_ints and classlabels_strings");
  auto coefficients = node.Floats("coefficients");
  if (coefficients.empty()) return NodeError(node, "no coefficients");
  return std::unique_ptr<Op>(new LinearClassifierOp(node, std::move(coefficients), node.Floats("intercepts"),
                                                    std::move(int_labels), std::move(string_labels),
                                                    *transform));
}

}  // namespace keel::ml::onnx
