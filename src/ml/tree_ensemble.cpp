#include "ml/tree_ensemble.hpp"

#include <cmath>

#include <fmt/format.h>

namespace keel::ml {
namespace {

Error NotAModel(const std::string& why) {
  return Error{ErrorCode::kInvalidArgument, "not a tree ensemble: " + why};
}

// XGBoost writes default_left as numbers in some versions and as booleans in others.
std::vector<std::uint8_t> Flags(const nlohmann::json& array) {
  std::vector<std::uint8_t> flags;
  for (const auto& v : array.get_ref<const nlohmann::json::array_t&>())
    flags.push_back(v.is_boolean() ? static_cast<std::uint8_t>(v.get<bool>()) : v.get<std::uint8_t>());
  return flags;
}

}  // namespace

Result<void> TreeEnsemble::Check(const Tree& tree) {
  const std::size_t n = tree.left.size();
  if (n == 0 || tree.right.size() != n || tree.feature.size() != n || tree.threshold.size() != n ||
      tree.default_left.size() != n)
    return NotAModel("a tree's arrays differ in length");
  for (std::size_t i = 0; i < n; ++i) {
    const bool leaf = tree.left[i] < 0;
    if (leaf != (tree.right[i] < 0)) return NotAModel("a node with one child");
    // Children come after their parent: no cycle can send Predict round forever.
    if (!leaf &&
        (static_cast<std::size_t>(tree.left[i]) <= i || static_cast<std::size_t>(tree.left[i]) >= n ||
         static_cast<std::size_t>(tree.right[i]) <= i || static_cast<std::size_t>(tree.right[i]) >= n))
      return NotAModel("a child index out of order");
    if (!leaf && tree.feature[i] < 0) return NotAModel("a split on a negative feature");
  }
  return Ok();
}

// The member names one form gives a tree's arrays.
struct TreeNames {
  const char* left;
  const char* right;
  const char* feature;
  const char* threshold;
};
constexpr TreeNames kXgboostNames{"left_children", "right_children", "split_indices", "split_conditions"};
constexpr TreeNames kOwnNames{"left", "right", "feature", "threshold"};

Result<TreeEnsemble> TreeEnsemble::Read(double base_score, const nlohmann::json& trees,
                                        const TreeNames& names) {
  TreeEnsemble ensemble;
  ensemble.base_score_ = base_score;
  for (const auto& t : trees) {
    Tree tree;
    tree.left = t.at(names.left).get<std::vector<std::int32_t>>();
    tree.right = t.at(names.right).get<std::vector<std::int32_t>>();
    tree.feature = t.at(names.feature).get<std::vector<std::int32_t>>();
    tree.threshold = t.at(names.threshold).get<std::vector<float>>();
    tree.default_left = Flags(t.at("default_left"));
    if (auto checked = Check(tree); !checked) return std::move(checked).error();
    ensemble.trees_.push_back(std::move(tree));
  }
  return ensemble;
}

Result<TreeEnsemble> TreeEnsemble::FromXgboostJson(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return NotAModel("the text is not JSON");
  try {
    const auto& learner = json.at("learner");
    return Read(std::stod(learner.at("learner_model_param").at("base_score").get<std::string>()),
                learner.at("gradient_booster").at("model").at("trees"), kXgboostNames);
  } catch (const std::exception& e) {
    return NotAModel(e.what());
  }
}

nlohmann::json TreeEnsemble::ToJson() const {
  nlohmann::json trees = nlohmann::json::array();
  for (const Tree& t : trees_)
    trees.push_back({{kOwnNames.left, t.left},
                     {kOwnNames.right, t.right},
                     {kOwnNames.feature, t.feature},
                     {kOwnNames.threshold, t.threshold},
                     {"default_left", t.default_left}});
  return {{"base_score", base_score_}, {"trees", std::move(trees)}};
}

Result<TreeEnsemble> TreeEnsemble::FromJson(const nlohmann::json& json) {
  try {
    return Read(json.at("base_score").get<double>(), json.at("trees"), kOwnNames);
  } catch (const std::exception& e) {
    return NotAModel(e.what());
  }
}

double TreeEnsemble::Predict(std::span<const float> row) const {
  double sum = base_score_;
  for (const Tree& tree : trees_) {
    std::size_t node = 0;
    while (tree.left[node] >= 0) {
      const auto feature = static_cast<std::size_t>(tree.feature[node]);
      const float value = feature < row.size() ? row[feature] : NAN;
      const bool left = std::isnan(value) ? tree.default_left[node] != 0 : value < tree.threshold[node];
      node = static_cast<std::size_t>(left ? tree.left[node] : tree.right[node]);
    }
    sum += tree.threshold[node];
  }
  return sum;
}

}  // namespace keel::ml
