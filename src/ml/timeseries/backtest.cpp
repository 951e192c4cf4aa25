// Rolling-origin backtests and the choice of family.
#include "ml/timeseries/backtest.hpp"

#include <cstddef>

#include "ml/timeseries/boosted_lags.hpp"
#include "ml/timeseries/holt_winters.hpp"
#include "ml/timeseries/seasonal_naive.hpp"

namespace keel::ml::timeseries {

std::string_view FamilyName(Family family) {
  switch (family) {
    case Family::kHoltWinters:
      return "holt_winters";
    case Family::kBoostedLags:
      return "xgboost";
    case Family::kSeasonalNaive:
      break;
  }
  return "seasonal_naive";
}

Forecast ForecastWith(Family family, std::span<const double> history, int season, int horizon) {
  if (family == Family::kHoltWinters)
    if (auto model = FitHoltWinters(history, season)) return ForecastHoltWinters(*model, horizon);
  if (family == Family::kBoostedLags)
    if (auto model = FitBoostedLags(history, season)) return ForecastBoostedLags(*model, history, horizon);
  return SeasonalNaive(history, season, horizon);
}

Backtest RollingOrigin(Family family, std::span<const double> series, int season, int horizon, int origins) {
  Backtest result;
  const std::size_t h = static_cast<std::size_t>(horizon);
  const std::size_t minimum = 2 * static_cast<std::size_t>(std::max(season, 2));
  for (int k = 0; k < origins; ++k) {
    const std::size_t held_back = h * static_cast<std::size_t>(k + 1);
    if (series.size() < held_back + minimum) break;
    const std::size_t cut = series.size() - held_back;
    auto history = series.subspan(0, cut);
    auto actual = series.subspan(cut, h);
    Forecast forecast = ForecastWith(family, history, season, horizon);
    Accuracy accuracy = Measure(actual, forecast.mean, history, season);
    result.accuracy.mae += accuracy.mae;
    result.accuracy.smape += accuracy.smape;
    result.accuracy.mase += accuracy.mase;
    ++result.origins;
  }
  if (result.origins > 0) {
    const double n = static_cast<double>(result.origins);
    result.accuracy.mae /= n;
    result.accuracy.smape /= n;
    result.accuracy.mase /= n;
  }
  return result;
}

Choice ChooseFamily(std::span<const double> series, int season, int horizon, int origins, double margin) {
  Choice choice;
  choice.baseline = RollingOrigin(Family::kSeasonalNaive, series, season, horizon, origins);
  choice.chosen = choice.baseline;
  choice.holt_winters = RollingOrigin(Family::kHoltWinters, series, season, horizon, origins);
  choice.boosted_lags = RollingOrigin(Family::kBoostedLags, series, season, horizon, origins);
  for (auto [family, backtest] : {std::pair{Family::kHoltWinters, &choice.holt_winters},
                                  std::pair{Family::kBoostedLags, &choice.boosted_lags}}) {
    if (backtest->origins > 0 && backtest->accuracy.mase < choice.chosen.accuracy.mase &&
        backtest->accuracy.mase < choice.baseline.accuracy.mase * (1.0 - margin)) {
      choice.family = family;
      choice.chosen = *backtest;
    }
  }
  return choice;
}

}  // namespace keel::ml::timeseries
