// A product's trained forecasting model as it is stored (one row of siprems_models) and served: the family,
// its fitted parameters and states, and the series it was fitted to. A served model is never refitted: its
// forecast starts after the last period it saw, whatever sales came since (those wait for the next version).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/siprems/period.hpp"
#include "apps/siprems/sales_store.hpp"
#include "core/result.hpp"
#include "ml/timeseries/backtest.hpp"
#include "ml/timeseries/boosted_lags.hpp"
#include "ml/timeseries/holt_winters.hpp"

namespace keel::siprems {

struct ForecastModel {
  ml::timeseries::Family family = ml::timeseries::Family::kSeasonalNaive;
  int season = 12;
  Series series;                                       // what it was fitted to
  std::optional<ml::timeseries::HoltWinters> hw;       // the fitted states, for holt_winters
  std::optional<ml::timeseries::BoostedLags> boosted;  // the trees, for xgboost

  // `horizon` periods after the series' last, never below zero (demand is not negative).
  ml::timeseries::Forecast Predict(int horizon) const;
};

nlohmann::json ModelJson(const ForecastModel& model);
// kInternal when the stored JSON is not a model this build reads.
Result<ForecastModel> ParseModel(std::string_view json);

// A newly fitted model with how well its family forecast the series' own past.
struct Candidate {
  ForecastModel model;
  double mase = 0;         // rolling-origin backtest: what the accept gate compares
  nlohmann::json metrics;  // the backtest and the holdout split, served by the backtest route
};

struct FitOptions {
  int backtest_origins = 3;
  int holdout_periods = 12;
};

// Chooses the family by a rolling-origin backtest (seasonal naive unless another has a lower MASE), fits it
// to the whole series and measures the holdout split for the backtest route. kValidation when the series is
// too short to judge a model on (fewer than two seasons and one holdout period).
Result<Candidate> Fit(const Series& series, FitOptions options);

// The forecast of `series` by seasonal naive, for products with no model yet.
ForecastModel SeasonalNaiveOf(const Series& series);

}  // namespace keel::siprems
