// Training end to end on a small synthetic table: CSV, split, XGBoost, metrics, meta.json, reload, predict.
#include "ml/model_trainer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "ml/dataset.hpp"
#include "ml/regression_metrics.hpp"

namespace keel::ml {
namespace {

class ModelTrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keel-ml-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream csv(dir_ / "data.csv");
    csv << "area,rooms,price\n";
    std::mt19937 engine(7);
    std::uniform_real_distribution<float> area(50, 300);
    std::uniform_int_distribution<int> rooms(1, 6);
    for (int i = 0; i < 400; ++i) {
      float a = area(engine);
      int r = rooms(engine);
      csv << a << "," << r << "," << (1000 * a + 20000 * r) << "\n";
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  TrainRequest Request() {
    TrainRequest request;
    request.model_name = "toy";
    request.data = dir_ / "data.csv";
    request.model_dir = dir_ / "models";
    request.options.rounds = 60;
    request.options.eta = 0.3;
    return request;
  }

  std::filesystem::path dir_;
};

TEST_F(ModelTrainerTest, WritesAVersionThatReloadsAndReproducesItsSample) {
  int rounds_seen = 0;
  auto trained = TrainModelVersion(Request(), [&](int round, int rounds, std::string_view eval) {
    EXPECT_EQ(rounds, 60);
    EXPECT_NE(eval.find("train-rmse"), std::string_view::npos);
    rounds_seen = round;
  });
  ASSERT_TRUE(trained.ok()) << trained.error().message;
  EXPECT_EQ(rounds_seen, 60);
  EXPECT_TRUE(std::filesystem::exists(trained->directory / "model.json"));
  EXPECT_EQ(trained->directory.parent_path(), dir_ / "models" / "toy");
  EXPECT_GT(trained->meta.metrics["r2"].get<double>(), 0.9);
  EXPECT_EQ(trained->meta.training["holdout_rows"], 80);
  EXPECT_EQ(trained->meta.features[0].name, "area");
  EXPECT_EQ(trained->meta.target, "price");

  std::ifstream in(trained->directory / "meta.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto meta = ModelMeta::Parse(text);
  ASSERT_TRUE(meta.ok()) << meta.error().message;
  auto model = XgboostModel::Load(trained->directory / "model.json", meta->features.size());
  ASSERT_TRUE(model.ok()) << model.error().message;
  for (std::size_t i = 0; i < meta->sample.rows.size(); ++i) {
    auto predicted = (*model)->Predict(meta->sample.rows[i], 1);
    ASSERT_TRUE(predicted.ok());
    EXPECT_NEAR((*predicted)[0], meta->sample.expected[i], std::abs(meta->sample.expected[i]) * 1e-5);
  }
  EXPECT_FALSE(XgboostModel::Load(trained->directory / "model.json", 3).ok());  // wrong width
  EXPECT_FALSE(XgboostModel::Load(dir_ / "missing.json", 2).ok());
}

TEST_F(ModelTrainerTest, OneModelPredictsFromManyThreadsAtOnce) {
  auto trained = TrainModelVersion(Request(), nullptr);
  ASSERT_TRUE(trained.ok()) << trained.error().message;
  auto model = XgboostModel::Load(trained->directory / "model.json", 2);
  ASSERT_TRUE(model.ok());
  std::vector<float> rows = {100, 2, 250, 5, 60, 1};
  auto reference = (*model)->Predict(rows, 3).value();
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto got = (*model)->Predict(rows, 3);
        if (!got.ok() || *got != reference) ++mismatches;
      }
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, 0);
}

TEST(Dataset, RefusesMalformedCsvNamingTheLine) {
  auto dir = std::filesystem::temp_directory_path() / "keel-ml-csv";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.csv") << "a,b,y\n1,2,3\n4,x,6\n";
  auto data = ReadCsv(dir / "bad.csv", "");
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.error().message.find("line 3, column b"), std::string::npos) << data.error().message;
  std::ofstream(dir / "short.csv") << "a,b,y\n1,2,3\n";
  EXPECT_NE(ReadCsv(dir / "short.csv", "").error().message.find("at least 10"), std::string::npos);
  EXPECT_FALSE(ReadCsv(dir / "short.csv", "price").ok());
  std::filesystem::remove_all(dir);
}

TEST(Dataset, HoldoutSplitIsReproducibleAndDisjoint) {
  Dataset data;
  data.features = {"a"};
  data.target = "y";
  for (int i = 0; i < 100; ++i) {
    data.x.push_back(static_cast<float>(i));
    data.y.push_back(static_cast<float>(i));
  }
  auto [train, holdout] = SplitHoldout(data, 0.2, 42);
  auto [train2, holdout2] = SplitHoldout(data, 0.2, 42);
  EXPECT_EQ(holdout.rows(), 20U);
  EXPECT_EQ(train.rows(), 80U);
  EXPECT_EQ(holdout.y, holdout2.y);
  EXPECT_NE(holdout.y, SplitHoldout(data, 0.2, 43).second.y);
  for (float v : holdout.y) EXPECT_EQ(std::count(train.y.begin(), train.y.end(), v), 0);
}

TEST(RegressionMetrics, MatchesHandComputedValues) {
  std::vector<float> actual = {100, 200, 300, 400};
  std::vector<double> predicted = {110, 190, 300, 420};
  auto m = Evaluate(actual, predicted);
  EXPECT_DOUBLE_EQ(m.mae, 10.0);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(600.0 / 4));
  EXPECT_DOUBLE_EQ(m.r2, 1 - 600.0 / 50000.0);
  EXPECT_NEAR(m.mape, 100 * (0.1 + 0.05 + 0 + 0.05) / 4, 1e-12);
}

TEST(WidenedRange, AddsATenthOfTheSpanAndStaysNonNegative) {
  auto spec = WidenedRange("rooms", 0, 8);
  EXPECT_DOUBLE_EQ(spec.min, 0);
  EXPECT_NEAR(spec.max, 8.8, 1e-6);
  auto year = WidenedRange("year", 1872, 2010);
  EXPECT_NEAR(year.min, 1858.2, 1e-3);
  EXPECT_NEAR(year.max, 2023.8, 1e-3);
  EXPECT_DOUBLE_EQ(WidenedRange("lon", -94, -93).min, -94.1);
}

}  // namespace
}  // namespace keel::ml
