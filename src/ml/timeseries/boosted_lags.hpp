// Gradient-boosted trees (XGBoost) on lag and calendar features: each period's change from the same period a
// season earlier (y_t - y_{t-m}), predicted from the last three such changes, the change a season before,
// the last level, and the period's place in the season. Scaled by the series' mean level, so the trees see
// the same numbers whatever the product's volume. Forecasts run recursively: each predicted period feeds the
// next one's lags.
//
// Intervals are approximate: the spread of one-step errors on held-out periods (the last fifth), widening
// with the square root of the horizon.
#pragma once

#include <optional>
#include <span>

#include "ml/timeseries/forecast.hpp"
#include "ml/tree_ensemble.hpp"

namespace keel::ml::timeseries {

struct BoostedLags {
  int season = 12;
  double scale = 1;  // the history's mean absolute level
  double sigma = 0;  // standard deviation of held-out one-step errors, in the series' units
  TreeEnsemble trees;
};

inline constexpr std::size_t kBoostedLagFeatures = 6;

// Nothing when the history is too short (fewer than two seasons and 8 periods to learn from) or XGBoost
// fails.
std::optional<BoostedLags> FitBoostedLags(std::span<const double> history, int season);

// `history` must be the series the model was fitted to.
Forecast ForecastBoostedLags(const BoostedLags& model, std::span<const double> history, int horizon);

}  // namespace keel::ml::timeseries
