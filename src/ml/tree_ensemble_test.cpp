// The flat tree ensemble read out of XGBoost's JSON predicts what XGBoost itself predicts.
#include "ml/tree_ensemble.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "ml/xgboost_model.hpp"

namespace keel::ml {
namespace {

TEST(TreeEnsembleTest, PredictsWhatXgboostPredictsAndSurvivesItsOwnJson) {
  std::mt19937 random(3);
  std::uniform_real_distribution<float> uniform(-2, 2);
  constexpr std::size_t kRows = 400, kFeatures = 4;
  std::vector<float> x, y;
  for (std::size_t r = 0; r < kRows; ++r) {
    float row[kFeatures];
    for (float& v : row) v = uniform(random);
    if (r % 17 == 0) row[2] = NAN;  // missing values take each split's default side
    x.insert(x.end(), row, row + kFeatures);
    y.push_back(3 * row[0] - row[1] * row[1] + (std::isnan(row[2]) ? 5.0f : row[2]) + 100);
  }
  TrainOptions options;
  options.rounds = 30;
  options.max_depth = 4;
  auto json = TrainRegressorJson(x, y, kFeatures, options);
  ASSERT_TRUE(json.ok()) << json.error().message;
  auto ensemble = TreeEnsemble::FromXgboostJson(*json);
  ASSERT_TRUE(ensemble.ok()) << ensemble.error().message;
  EXPECT_EQ(ensemble->trees(), 30u);

  const auto path =
      std::filesystem::temp_directory_path() / ("keel-tree-ensemble-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << *json;
  auto xgboost = XgboostModel::Load(path, kFeatures);
  std::filesystem::remove(path);
  ASSERT_TRUE(xgboost.ok()) << xgboost.error().message;
  auto expected = (*xgboost)->Predict(x, kRows);
  ASSERT_TRUE(expected.ok());
  auto again = TreeEnsemble::FromJson(ensemble->ToJson());
  ASSERT_TRUE(again.ok()) << again.error().message;
  for (std::size_t r = 0; r < kRows; ++r) {
    std::span<const float> row(x.data() + r * kFeatures, kFeatures);
    EXPECT_NEAR(ensemble->Predict(row), (*expected)[r], 1e-3) << r;
    EXPECT_DOUBLE_EQ(again->Predict(row), ensemble->Predict(row));
  }
}

TEST(TreeEnsembleTest, RefusesWhatIsNotATreeEnsemble) {
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson("not json").ok());
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson("{\"learner\": {}}").ok());
  // A child pointing back at its parent would loop for ever: refused.
  nlohmann::json looped = {{"base_score", 0},
                           {"trees",
                            {{{"left", {1, -1, -1}},
                              {"right", {0, -1, -1}},
                              {"feature", {0, 0, 0}},
                              {"threshold", {0.5, 1, 2}},
                              {"default_left", {1, 0, 0}}}}}};
  auto refused = TreeEnsemble::FromJson(looped);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("out of order"), std::string::npos);
}

}  // namespace
}  // namespace keel::ml
