// Judging forecasters on a series' own past: rolling-origin evaluation (forecast from several cut-off points,
// compare with what followed) and the choice of model family per series by its MASE, seasonal naive being
// the baseline every other family must beat to be chosen.
#pragma once

#include <span>
#include <string_view>

#include "ml/timeseries/forecast.hpp"

namespace keel::ml::timeseries {

enum class Family { kSeasonalNaive, kHoltWinters, kBoostedLags };

std::string_view FamilyName(Family family);

// The family fitted to the history, `horizon` periods ahead. A history too short for the family is
// forecast by seasonal naive.
Forecast ForecastWith(Family family, std::span<const double> history, int season, int horizon);

// Mean accuracy over `origins` cut-offs, the last `horizon` periods first, each an earlier `horizon` apart;
// cut-offs that would leave less than two seasons of history are skipped. Zero origins evaluated: all zero.
struct Backtest {
  Accuracy accuracy;
  int origins = 0;
};
Backtest RollingOrigin(Family family, std::span<const double> series, int season, int horizon, int origins);

struct Choice {
  Family family = Family::kSeasonalNaive;
  Backtest chosen;
  Backtest baseline;                    // seasonal naive on the same cut-offs
  Backtest holt_winters, boosted_lags;  // each candidate's, for the record
};
// The family with the lowest backtest MASE among Holt-Winters and boosted lags (XGBoost); seasonal naive
// unless the best of them is lower by more than `margin` (relative: 0.02 means 2% lower).
Choice ChooseFamily(std::span<const double> series, int season, int horizon, int origins,
                    double margin = 0.0);

}  // namespace keel::ml::timeseries
