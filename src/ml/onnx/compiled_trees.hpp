// The trees of an ai.onnx.ml tree ensemble laid out once for fast walking: each tree's nodes in one array,
// depth first with every false child right after its parent (the common way down is the next cache line),
// leaves pointing at their run of (target or class, weight) pairs.
//
// Thread safety: immutable after Compile; Leaf is safe from any thread.
#pragma once

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

  // The weights of the leaf `row` reaches in tree `tree`. REQUIRES: row has more than max_feature() values.
  // `Value` is float for FLOAT input (thresholds compared as floats, as ONNX Runtime does) or double.
  template <class Value>
  std::span<const Weight> Leaf(std::size_t tree, const Value* row) const {
    std::size_t at = roots_[tree];
    for (;;) {
      const FlatNode& node = nodes_[at];
      if (node.mode == Mode::kLeaf)
        return {weights_.data() + node.child_or_weights, static_cast<std::size_t>(node.weight_count)};
      double x = static_cast<double>(row[node.feature]);
      double threshold = std::is_same_v<Value, float> ? node.threshold_float : thresholds_[at];
      bool go_true = false;
      switch (node.mode) {
        case Mode::kLeq:
          go_true = x <= threshold;
          break;
        case Mode::kLt:
          go_true = x < threshold;
          break;
        case Mode::kGte:
          go_true = x >= threshold;
          break;
        case Mode::kGt:
          go_true = x > threshold;
          break;
        case Mode::kEq:
          go_true = x == threshold;
          break;
        case Mode::kNeq:
          go_true = x != threshold;
          break;
        case Mode::kLeaf:
          break;
      }
      if (!go_true && node.missing_tracks_true && std::isnan(x)) go_true = true;
      at = go_true ? static_cast<std::size_t>(node.child_or_weights) : at + 1;
    }
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
    std::int32_t feature;
    std::int32_t child_or_weights;  // a branch: its true child (its false child is the next node); a leaf:
                                    // the index of its first weight
    std::int32_t weight_count;      // a leaf's
    Mode mode;
    bool missing_tracks_true;
  };

  std::vector<FlatNode> nodes_;
  std::vector<double> thresholds_;  // parallel to nodes_: as DOUBLE input compares with it
  std::vector<Weight> weights_;
  std::vector<std::size_t> roots_;
  std::vector<std::int32_t> ids_;
  std::int64_t max_feature_ = -1;
  bool weights_all_positive_ = true;
};

}  // namespace keel::ml::onnx
