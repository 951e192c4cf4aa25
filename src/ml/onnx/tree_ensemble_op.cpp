// TreeEnsembleRegressor and TreeEnsembleClassifier (ai.onnx.ml opsets 1 and 3) over CompiledTrees. Sums run
// in double in tree order; the binary classifier follows ONNX Runtime's rules (what converters write for),
// with LOGISTIC always applied when asked (ONNX Runtime up to 1.25 skipped it when every weight was positive,
// its issue 27533).
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "ml/onnx/compiled_trees.hpp"
#include "ml/onnx/op.hpp"
#include "ml/onnx/post_transform.hpp"

namespace keel::ml::onnx {

namespace {

enum class Aggregate { kSum, kAverage, kMin, kMax };

// Each row's raw per-target scores and whether any leaf reached each target.
struct Scores {
  std::vector<double> values;
  std::vector<std::uint8_t> reached;
};

// The rows of X as [rows, width]: X is [F] (one row) or [N, F].
// `outputs` is the number of scores each row gets.
Result<std::pair<std::size_t, std::size_t>> RowsOf(const Node& node, const Tensor& x,
                                                   std::int64_t max_feature, std::size_t outputs) {
  if (!IsSupportedNumeric(x.type) || x.shape.empty() || x.shape.size() > 2)
    return NodeError(node, fmt::format("input {} is not [rows, features]", x.Describe()));
  std::size_t rows = x.shape.size() == 1 ? 1 : static_cast<std::size_t>(x.shape[0]);
  auto width = static_cast<std::size_t>(x.shape.back());
  if (outputs > 0 && rows > kMaxElements / outputs)
    return NodeError(node, fmt::format("{} rows of {} scores each are too many", rows, outputs));
  if (width == 0 || max_feature >= static_cast<std::int64_t>(width))
    return NodeError(node, fmt::format("a split reads feature {} of {}", max_feature, x.Describe()));
  return std::pair{rows, width};
}

// Walks every tree for every row (tree by tree, so one tree stays in cache over the batch), aggregating the
// leaves' weights per target in tree order.
Scores Walk(const CompiledTrees& trees, const Tensor& x, std::size_t rows, std::size_t width,
            std::size_t targets, Aggregate aggregate) {
  Scores scores{std::vector<double>(rows * targets, 0.0), std::vector<std::uint8_t>(rows * targets, 0)};
  bool as_float = x.type != ElementType::kDouble;
  std::vector<float> narrowed;
  if (as_float) narrowed.assign(x.values.begin(), x.values.end());
  std::vector<std::uint32_t> leaves(rows);
  for (std::size_t t = 0; t < trees.trees(); ++t) {
    if (as_float)
      trees.Leaves(t, narrowed.data(), width, rows, leaves.data());
    else
      trees.Leaves(t, x.values.data(), width, rows, leaves.data());
    for (std::size_t r = 0; r < rows; ++r)
      for (const auto& weight : trees.WeightsOf(leaves[r])) {
        if (static_cast<std::size_t>(weight.target) >= targets) continue;
        std::size_t at = r * targets + static_cast<std::size_t>(weight.target);
        double& score = scores.values[at];
        switch (aggregate) {
          case Aggregate::kSum:
          case Aggregate::kAverage:
            score += weight.value;
            break;
          case Aggregate::kMin:
            score = scores.reached[at] ? std::min(score, weight.value) : weight.value;
            break;
          case Aggregate::kMax:
            score = scores.reached[at] ? std::max(score, weight.value) : weight.value;
            break;
        }
        scores.reached[at] = 1;
      }
  }
  return scores;
}

class TreeRegressorOp final : public Op {
 public:
  TreeRegressorOp(Node node, CompiledTrees trees, std::size_t targets, Aggregate aggregate,
                  std::vector<double> base_values, PostTransform transform)
      : node_(std::move(node)),
        trees_(std::move(trees)),
        targets_(targets),
        aggregate_(aggregate),
        base_values_(std::move(base_values)),
        transform_(transform) {}

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    auto shape = RowsOf(node_, **input, trees_.max_feature(), targets_);
    if (!shape) return std::move(shape).error();
    auto [rows, width] = *shape;
    Scores scores = Walk(trees_, **input, rows, width, targets_, aggregate_);
    Tensor out = Tensor::Zeros(ElementType::kFloat,
                               {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(targets_)});
    for (std::size_t r = 0; r < rows; ++r) {
      std::span<double> row(out.values.data() + r * targets_, targets_);
      for (std::size_t t = 0; t < targets_; ++t) {
        double score = scores.values[r * targets_ + t];
        if (aggregate_ == Aggregate::kAverage) score /= static_cast<double>(trees_.trees());
        row[t] = score + (t < base_values_.size() ? base_values_[t] : 0.0);
      }
      ApplyPostTransform(transform_, row);
    }
    out.Conform();
    outputs[0] = std::move(out);
    return Ok();
  }

 private:
  const Node node_;
  const CompiledTrees trees_;
  const std::size_t targets_;
  const Aggregate aggregate_;
  const std::vector<double> base_values_;  // one per target, or empty
  const PostTransform transform_;
};

class TreeClassifierOp final : public Op {
 public:
  TreeClassifierOp(Node node, CompiledTrees trees, std::vector<std::int64_t> int_labels,
                   std::vector<std::string> string_labels, std::vector<double> base_values,
                   PostTransform transform)
      : node_(std::move(node)),
        trees_(std::move(trees)),
        int_labels_(std::move(int_labels)),
        string_labels_(std::move(string_labels)),
        base_values_(std::move(base_values)),
        transform_(transform) {
    classes_ = string_labels_.empty() ? int_labels_.size() : string_labels_.size();
    binary_ = classes_ == 2 && trees_.ids().size() == 1;
  }

  Result<void> Run(std::span<const Tensor* const> inputs, std::span<Tensor> outputs) const override {
    auto input = RequireInput(node_, inputs, 0);
    if (!input) return std::move(input).error();
    auto shape = RowsOf(node_, **input, trees_.max_feature(), classes_);
    if (!shape) return std::move(shape).error();
    auto [rows, width] = *shape;
    Scores scores = Walk(trees_, **input, rows, width, classes_, Aggregate::kSum);
    std::vector<std::int64_t> row_shape{static_cast<std::int64_t>(rows)};
    Tensor labels =
        Tensor::Zeros(string_labels_.empty() ? ElementType::kInt64 : ElementType::kString, row_shape);
    std::size_t columns = std::max<std::size_t>(classes_, 1);
    Tensor z = Tensor::Zeros(ElementType::kFloat,
                             {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(columns)});
    for (std::size_t r = 0; r < rows; ++r) {
      std::span<double> raw(scores.values.data() + r * classes_, classes_);
      std::span<const std::uint8_t> reached(scores.reached.data() + r * classes_, classes_);
      std::span<double> row(z.values.data() + r * columns, columns);
      std::size_t label = binary_ ? Binary(raw, row) : Multiclass(raw, reached, row);
      if (string_labels_.empty())
        labels.values[r] = static_cast<double>(int_labels_[label]);
      else
        labels.strings[r] = string_labels_[label];
    }
    z.Conform();
    outputs[0] = std::move(labels);
    if (outputs.size() > 1) outputs[1] = std::move(z);
    return Ok();
  }

 private:
  // Two labels and one class id weighted: s is the positive class's score. All weights positive (random
  // forests' probabilities): [1 - s, s] and class 1 when s > 0.5. Otherwise a margin: [logistic(-s),
  // logistic(s)] under LOGISTIC, [-s, s] else, and class 1 when s > 0.
  std::size_t Binary(std::span<const double> raw, std::span<double> row) const {
    std::size_t id = static_cast<std::size_t>(trees_.ids().front());
    double s = raw[id] + (base_values_.empty()       ? 0.0
                          : base_values_.size() == 1 ? base_values_[0]
                                                     : base_values_[id]);
    if (transform_ == PostTransform::kLogistic) {
      row[0] = Logistic(-s);
      row[1] = Logistic(s);
      return s > 0 ? 1 : 0;
    }
    if (trees_.weights_all_positive()) {
      row[0] = 1 - s;
      row[1] = s;
      if (transform_ == PostTransform::kProbit) ApplyPostTransform(transform_, row);
      return s > 0.5 ? 1 : 0;
    }
    row[0] = -s;
    row[1] = s;
    if (transform_ == PostTransform::kProbit) ApplyPostTransform(transform_, row);
    return s > 0 ? 1 : 0;
  }

  // Scores plus base values, the label the first highest score among the classes scored, then the transform.
  std::size_t Multiclass(std::span<const double> raw, std::span<const std::uint8_t> reached,
                         std::span<double> row) const {
    std::size_t best = 0;
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < raw.size(); ++k) {
      bool scored = reached[k] || k < base_values_.size();
      row[k] = scored ? raw[k] + (k < base_values_.size() ? base_values_[k] : 0.0) : 0.0;
      if (scored && row[k] > top) {
        top = row[k];
        best = k;
      }
    }
    ApplyPostTransform(transform_, row);
    return best;
  }

  const Node node_;
  const CompiledTrees trees_;
  const std::vector<std::int64_t> int_labels_;
  const std::vector<std::string> string_labels_;
  const std::vector<double> base_values_;
  const PostTransform transform_;
  std::size_t classes_ = 0;
  bool binary_ = false;
};

}  // namespace

Result<std::unique_ptr<Op>> MakeTreeEnsemble(const Node& node, std::int64_t /*opset*/) {
  auto transform = ParsePostTransform(node.String("post_transform", "NONE"));
  if (!transform) return NodeError(node, fmt::format("post_transform {}", node.String("post_transform", "")));
  auto base_values = node.Floats("base_values");
  if (node.op_type == "TreeEnsembleRegressor") {
    auto trees = CompiledTrees::Compile(node, "target");
    if (!trees) return std::move(trees).error();
    std::int64_t targets = node.Int("n_targets", 1);
    if (targets < 1) return NodeError(node, "n_targets is below 1");
    if (!trees->ids().empty() && trees->ids().back() >= targets)
      return NodeError(
          node, fmt::format("a weight's target id is {} for n_targets {}", trees->ids().back(), targets));
    // Weights name at most ids().size() targets; far more targets than that is a malformed model, whose score
    // rows would only take memory.
    if (static_cast<std::size_t>(targets) > std::max<std::size_t>(trees->ids().size(), 1) * 1024)
      return NodeError(node,
                       fmt::format("n_targets {} for {} targets with weights", targets, trees->ids().size()));
    std::string name = node.String("aggregate_function", "SUM");
    Aggregate aggregate = Aggregate::kSum;
    if (name == "AVERAGE")
      aggregate = Aggregate::kAverage;
    else if (name == "MIN")
      aggregate = Aggregate::kMin;
    else if (name == "MAX")
      aggregate = Aggregate::kMax;
    else if (name != "SUM")
      return NodeError(node, fmt::format("aggregate_function {}", name));
    if (!base_values.empty() && base_values.size() != static_cast<std::size_t>(targets))
      return NodeError(node, fmt::format("{} base values for {} targets", base_values.size(), targets));
    return std::unique_ptr<Op>(new TreeRegressorOp(node, std::move(trees).value(),
                                                   static_cast<std::size_t>(targets), aggregate,
                                                   std::move(base_values), *transform));
  }
  auto trees = CompiledTrees::Compile(node, "class");
  if (!trees) return std::move(trees).error();
  auto int_labels = node.Ints("classlabels_int64s");
  auto string_labels = node.Strings("classlabels_strings");
  if (int_labels.empty() == string_labels.empty())
    return NodeError(node, "needs exactly one of classlabels_int64s and classlabels_strings");
  std::size_t classes = int_labels.empty() ? string_labels.size() : int_labels.size();
  if (classes < 2) return NodeError(node, "a classifier needs two labels or more");
  if (!trees->ids().empty() && static_cast<std::size_t>(trees->ids().back()) >= classes)
    return NodeError(node, fmt::format("a class id is {} for {} labels", trees->ids().back(), classes));
  if (base_values.size() > classes) return NodeError(node, "more base values than classes");
  return std::unique_ptr<Op>(new TreeClassifierOp(node, std::move(trees).value(), std::move(int_labels),
                                                  std::move(string_labels), std::move(base_values),
                                                  *transform));
}

}  // namespace keel::ml::onnx
