// The trees of an ai.onnx.ml tree ensemble laid out once for fast walking: each tree's nodes in one array,
// depth first with every false child right after its parent, both children stored so that a leaf is its own
// child. A batch walks one tree for eight rows at once, level by level, without a branch per node: the eight
// walks overlap instead of each waiting on its own chain of loads, and a row that reached its leaf simply
// stays there until the deepest is done.
//
// Thread safety: immutable after Compile; the walks are safe from any thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "core/result.hpp"
#include "ml/onnx/graph.hpp"

namespace keel::ml::onnx {

class CompiledTrees {
 public:
  enum class Mode : std::uint8_t { kLeq, kLt, kGte, kGt, kEq, kNeq, kLeaf };

  struct Weight {
    std::int32_t target;  // the target (regressor) or class id (classifier)
    double value;
  };

  // From the node's nodes_* attributes and its leaf weights (`prefix` "target" or "class":
  // <prefix>_treeids, _nodeids, _ids, _weights). kInvalidArgument naming what does not hold together.
  static Result<CompiledTrees> Compile(const Node& node, std::string_view prefix);

  // The leaf each of `count` rows (row-major, `width` values each) reaches in tree `tree`, into `leaves`.
  // `Value` is float for FLOAT input (thresholds compared as floats, as ONNX Runtime does) or double.
  // REQUIRES: width > max_feature().
  template <class Value>
  void Leaves(std::size_t tree, const Value* rows, std::size_t width, std::size_t count,
              std::uint32_t* leaves) const {
    switch (uniform_mode_) {
      case Mode::kLeq:
        return Lockstep<Value, Mode::kLeq>(tree, rows, width, count, leaves);
      case Mode::kLt:
        return Lockstep<Value, Mode::kLt>(tree, rows, width, count, leaves);
      case Mode::kGte:
        return Lockstep<Value, Mode::kGte>(tree, rows, width, count, leaves);
      case Mode::kGt:
        return Lockstep<Value, Mode::kGt>(tree, rows, width, count, leaves);
      case Mode::kEq:
        return Lockstep<Value, Mode::kEq>(tree, rows, width, count, leaves);
      case Mode::kNeq:
        return Lockstep<Value, Mode::kNeq>(tree, rows, width, count, leaves);
      case Mode::kLeaf:
        return Lockstep<Value, Mode::kLeaf>(tree, rows, width, count, leaves);
    }
  }

  // A leaf's weights.
  std::span<const Weight> WeightsOf(std::uint32_t leaf) const {
    const FlatNode& node = nodes_[leaf];
    return {weights_.data() + node.first_weight, static_cast<std::size_t>(node.weight_count)};
  }

  std::size_t trees() const { return roots_.size(); }
  // The largest feature index a split reads; -1 when every tree is a single leaf.
  std::int64_t max_feature() const { return max_feature_; }
  // True when every weight is zero or positive (the binary classifier's rule, see tree_ensemble_op.cpp).
  bool weights_all_positive() const { return weights_all_positive_; }
  // The distinct target or class ids the weights name.
  const std::vector<std::int32_t>& ids() const { return ids_; }

 private:
  struct FlatNode {
    float threshold_float;  // the threshold as FLOAT input compares with it
    std::uint32_t feature;
    std::uint32_t true_child;    // a leaf: itself
    std::uint32_t false_child;   // the next node for a branch; a leaf: itself
    std::uint32_t first_weight;  // a leaf's
    std::uint16_t weight_count;  // a leaf's
    Mode mode;
    bool missing_tracks_true;
  };

  template <Mode M>
  static bool Compare(double x, double threshold) {
    if constexpr (M == Mode::kLeq) return x <= threshold;
    if constexpr (M == Mode::kLt) return x < threshold;
    if constexpr (M == Mode::kGte) return x >= threshold;
    if constexpr (M == Mode::kGt) return x > threshold;
    if constexpr (M == Mode::kEq) return x == threshold;
    if constexpr (M == Mode::kNeq) return x != threshold;
    return false;
  }

  static bool CompareAny(Mode mode, double x, double threshold) {
    switch (mode) {
      case Mode::kLeq:
        return Compare<Mode::kLeq>(x, threshold);
      case Mode::kLt:
        return Compare<Mode::kLt>(x, threshold);
      case Mode::kGte:
        return Compare<Mode::kGte>(x, threshold);
      case Mode::kGt:
        return Compare<Mode::kGt>(x, threshold);
      case Mode::kEq:
        return Compare<Mode::kEq>(x, threshold);
      case Mode::kNeq:
        return Compare<Mode::kNeq>(x, threshold);
      case Mode::kLeaf:
        return false;
    }
    return false;
  }

  // One step down from `at` for `row`: true child when the split holds or the value is missing and the node
  // sends missing values that way. A leaf steps to itself. `M` is the ensemble's one split mode, or kLeaf for
  // mixed modes (read per node).
  template <class Value, Mode M>
  std::uint32_t Step(std::uint32_t at, const Value* row) const {
    const FlatNode& node = nodes_[at];
    double x = static_cast<double>(row[node.feature]);
    double threshold;
    if constexpr (std::is_same_v<Value, float>)
      threshold = node.threshold_float;
    else
      threshold = thresholds_[at];
    bool go_true = M == Mode::kLeaf ? CompareAny(node.mode, x, threshold) : Compare<M>(x, threshold);
    go_true |= node.missing_tracks_true & std::isnan(x);
    return go_true ? node.true_child : node.false_child;
  }

  template <class Value, Mode M>
  void Lockstep(std::size_t tree, const Value* rows, std::size_t width, std::size_t count,
                std::uint32_t* leaves) const {
    constexpr std::size_t kGroup = 8;
    const std::uint32_t root = roots_[tree];
    const int depth = depths_[tree];
    std::size_t r = 0;
    for (; r + kGroup <= count; r += kGroup) {
      std::uint32_t at[kGroup];
      std::fill_n(at, kGroup, root);
      for (int level = 0; level < depth; ++level)
        for (std::size_t i = 0; i < kGroup; ++i) at[i] = Step<Value, M>(at[i], rows + (r + i) * width);
      std::copy_n(at, kGroup, leaves + r);
    }
    for (; r < count; ++r) {
      std::uint32_t at = root;
      for (int level = 0; level < depth; ++level) at = Step<Value, M>(at, rows + r * width);
      leaves[r] = at;
    }
  }

  std::vector<FlatNode> nodes_;
  std::vector<double> thresholds_;  // parallel to nodes_: as DOUBLE input compares with it
  std::vector<Weight> weights_;
  std::vector<std::uint32_t> roots_;
  std::vector<int> depths_;  // per tree: the splits on its longest path
  std::vector<std::int32_t> ids_;
  std::int64_t max_feature_ = -1;
  Mode uniform_mode_ = Mode::kLeaf;  // the one split mode of every branch, or kLeaf when they differ
  bool weights_all_positive_ = true;
};

}  // namespace keel::ml::onnx
