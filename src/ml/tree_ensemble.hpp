// A regression tree ensemble in a flat layout Keel evaluates itself: the trees XGBoost trained, read out of
// its JSON model, kept in a few compact arrays per tree, and stored in a compact JSON of their own. For
// models too many and too small to go through the registry as XGBoost files (one per product and version).
//
// Thread safety: Predict is const and safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace keel::ml {

struct TreeNames;

class TreeEnsemble {
 public:
  // From XGBoost's JSON model (gbtree, reg:squarederror): each tree's children, split features, thresholds,
  // default directions and leaf values, and the base score. kInvalidArgument when it is not such a model.
  static Result<TreeEnsemble> FromXgboostJson(std::string_view json);
  // From ToJson's form.
  static Result<TreeEnsemble> FromJson(const nlohmann::json& json);
  nlohmann::json ToJson() const;

  // The sum of one leaf per tree plus the base score, as XGBoost predicts: at each split, left when the
  // feature is below the threshold, the default side when it is missing (NaN).
  double Predict(std::span<const float> row) const;

  std::size_t trees() const { return trees_.size(); }

 private:
  struct Tree {
    std::vector<std::int32_t> left, right;  // child indices; -1 at a leaf
    std::vector<std::int32_t> feature;
    std::vector<float> threshold;  // the leaf's value at a leaf
    std::vector<std::uint8_t> default_left;
  };
  static Result<void> Check(const Tree& tree);
  // The trees of either JSON form, whose arrays `names` names.
  static Result<TreeEnsemble> Read(double base_score, const nlohmann::json& trees, const TreeNames& names);

  double base_score_ = 0;
  std::vector<Tree> trees_;
};

}  // namespace keel::ml
