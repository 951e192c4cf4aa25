// The forecasting core: the optimizer on a known function, seasonal naive's repetition and intervals,
// Holt-Winters recovering a series made from known parts, and model choice on the real seed catalogue
// (data/siprems/sales.csv), where a family is chosen only when its backtest beats seasonal naive.
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ml/timeseries/backtest.hpp"
#include "ml/timeseries/boosted_lags.hpp"
#include "ml/timeseries/holt_winters.hpp"
#include "ml/timeseries/nelder_mead.hpp"
#include "ml/timeseries/seasonal_naive.hpp"

namespace keel::ml::timeseries {
namespace {

TEST(NelderMead, FindsTheRosenbrockValley) {
  auto rosenbrock = [](const std::vector<double>& x) {
    return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
  };
  Minimum found = NelderMead(rosenbrock, {-1.2, 1.0}, 0.5, 1e-14, 5000);
  EXPECT_NEAR(found.x[0], 1.0, 1e-3);
  EXPECT_NEAR(found.x[1], 1.0, 2e-3);
  EXPECT_LT(found.value, 1e-6);
}

TEST(SeasonalNaive, RepeatsTheLastSeasonWithWideningIntervals) {
  std::vector<double> y = {1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6};  // season 4, each one up by 1
  Forecast f = SeasonalNaive(y, 4, 6);
  EXPECT_EQ(f.mean, (std::vector<double>{3, 4, 5, 6, 3, 4}));
  // Every seasonal difference is 1: sd 1, one season ahead then two.
  EXPECT_NEAR(f.upper80[0] - f.mean[0], kZ80, 1e-12);
  EXPECT_NEAR(f.upper95[4] - f.mean[4], kZ95 * std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(f.mean[0] - f.lower95[0], kZ95, 1e-12);
  // Shorter than a season: the last value.
  EXPECT_EQ(SeasonalNaive(std::vector<double>{7, 8}, 12, 2).mean, (std::vector<double>{8, 8}));
}

TEST(Accuracy, MaseIsScaledByTheInSampleSeasonalNaiveError) {
  std::vector<double> history = {1, 2, 3, 4, 3, 4, 5, 6};  // seasonal differences 2: scale 2
  Accuracy a = Measure(std::vector<double>{5, 6}, std::vector<double>{6, 6}, history, 4);
  EXPECT_DOUBLE_EQ(a.mae, 0.5);
  EXPECT_DOUBLE_EQ(a.mase, 0.25);
  EXPECT_NEAR(a.smape, (200.0 / 11.0) / 2.0, 1e-12);
}

// 100 + 2t + 10 sin(2 pi t / 12) + N(0, 1): trend and season Holt-Winters should recover, naive cannot
// follow.
std::vector<double> Made(std::size_t n) {
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> y;
  for (std::size_t t = 0; t < n; ++t)
    y.push_back(100 + 2.0 * static_cast<double>(t) +
                10 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / 12) + noise(random));
  return y;
}

TEST(HoltWinters, RecoversTrendAndSeasonAndBeatsSeasonalNaive) {
  std::vector<double> y = Made(120);
  std::span<const double> history(y.data(), 108), future(y.data() + 108, 12);
  auto model = FitHoltWinters(history, 12);
  ASSERT_TRUE(model);
  EXPECT_GT(model->sigma, 0.5);
  EXPECT_LT(model->sigma, 2.0);  // the noise's own sd is 1
  Forecast f = ForecastHoltWinters(*model, 12);
  Accuracy smoothed = Measure(future, f.mean, history, 12);
  Accuracy naive = Measure(future, SeasonalNaive(history, 12, 12).mean, history, 12);
  // The trend is damped (phi <= 0.98): twelve steps ahead it falls up to 3 short of a straight line's 24.
  EXPECT_LT(smoothed.mae, 4.0);
  EXPECT_LT(smoothed.mase, naive.mase / 3);  // naive is a whole year's trend (24) behind
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_LT(f.lower95[i], f.lower80[i]);
    EXPECT_LT(f.upper80[i], f.upper95[i]);
    if (i > 0) {  // never narrower
      EXPECT_GE(f.upper95[i] - f.mean[i], f.upper95[i - 1] - f.mean[i - 1] - 1e-9);
    }
  }
  EXPECT_FALSE(FitHoltWinters(std::span<const double>(y.data(), 20), 12));  // under two seasons
}

TEST(BoostedLags, LearnsTheSeasonalChangeAndBeatsSeasonalNaive) {
  std::vector<double> y = Made(120);
  std::span<const double> history(y.data(), 108), future(y.data() + 108, 12);
  auto model = FitBoostedLags(history, 12);
  ASSERT_TRUE(model);
  EXPECT_GT(model->trees.trees(), 0u);
  Forecast f = ForecastBoostedLags(*model, history, 12);
  ASSERT_EQ(f.mean.size(), 12u);
  Accuracy boosted = Measure(future, f.mean, history, 12);
  Accuracy naive = Measure(future, SeasonalNaive(history, 12, 12).mean, history, 12);
  EXPECT_LT(boosted.mase, naive.mase / 2);  // the year's trend is the change it learns
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_LT(f.lower95[i], f.lower80[i]);
    EXPECT_LT(f.upper80[i], f.upper95[i]);
  }
  EXPECT_FALSE(FitBoostedLags(std::span<const double>(y.data(), 30), 12));  // too few periods to learn from
}

std::map<std::string, std::vector<double>> Catalogue() {
  std::ifstream in(std::string(KEEL_SOURCE_DIR) + "/data/siprems/sales.csv");
  std::map<std::string, std::vector<double>> series;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    // "sku","name","category","period",quantity: the name may hold commas, the first and last fields do not.
    const std::string sku = line.substr(1, line.find('"', 1) - 1);
    series[sku].push_back(std::stod(line.substr(line.rfind(',') + 1)));
  }
  return series;
}

TEST(ChooseFamily, OnTheRealCatalogueNoChoiceIsWorseThanTheBaseline) {
  auto catalogue = Catalogue();
  ASSERT_EQ(catalogue.size(), 10u);
  int beaten = 0;
  for (const auto& [sku, y] : catalogue) {
    Choice choice = ChooseFamily(y, 12, 12, 3);
    ASSERT_GT(choice.baseline.origins, 0) << sku;
    EXPECT_LE(choice.chosen.accuracy.mase, choice.baseline.accuracy.mase) << sku;
    if (choice.family != Family::kSeasonalNaive) ++beaten;
    // Every candidate was judged on the same cut-offs.
    EXPECT_EQ(choice.holt_winters.origins, choice.baseline.origins) << sku;
    EXPECT_EQ(choice.boosted_lags.origins, choice.baseline.origins) << sku;
    std::cout << fmt::format(
        "[ backtest ] {:<15} n={:<4} {:<15} MASE {:.3f} (seasonal naive {:.3f}), sMAPE {:.1f}%\n", sku,
        y.size(), FamilyName(choice.family), choice.chosen.accuracy.mase, choice.baseline.accuracy.mase,
        choice.chosen.accuracy.smape);
  }
  // The strongly trending and seasonal series are where the baseline must lose.
  EXPECT_NE(ChooseFamily(catalogue["AIRPAX-INTL"], 12, 12, 3).family, Family::kSeasonalNaive);
  EXPECT_NE(ChooseFamily(catalogue["DRINKS-US-WHSL"], 12, 12, 3).family, Family::kSeasonalNaive);
  EXPECT_GE(beaten, 6);
}

}  // namespace
}  // namespace keel::ml::timeseries
