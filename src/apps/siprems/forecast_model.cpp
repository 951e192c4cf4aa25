#include "apps/siprems/forecast_model.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ml/timeseries/seasonal_naive.hpp"

namespace keel::siprems {
namespace ts = ml::timeseries;
namespace {

nlohmann::json AccuracyJson(const ts::Accuracy& accuracy) {
  return {{"mae", accuracy.mae}, {"mase", accuracy.mase}, {"smape", accuracy.smape}};
}

ts::Forecast FloorAtZero(ts::Forecast forecast) {
  for (auto* values :
       {&forecast.mean, &forecast.lower80, &forecast.upper80, &forecast.lower95, &forecast.upper95})
    for (double& v : *values) v = std::max(0.0, v);
  return forecast;
}

}  // namespace

ts::Forecast ForecastModel::Predict(int horizon) const {
  if (family == ts::Family::kHoltWinters && hw) return FloorAtZero(ts::ForecastHoltWinters(*hw, horizon));
  if (family == ts::Family::kBoostedLags && boosted)
    return FloorAtZero(ts::ForecastBoostedLags(*boosted, series.values, horizon));
  return FloorAtZero(ts::SeasonalNaive(series.values, season, horizon));
}

nlohmann::json ModelJson(const ForecastModel& model) {
  nlohmann::json json = {{"family", ts::FamilyName(model.family)},
                         {"season", model.season},
                         {"interval", IntervalName(model.series.interval)},
                         {"first_period", FormatDay(model.series.first_period)},
                         {"series", model.series.values}};
  if (model.hw) {
    const ts::HoltWinters& hw = *model.hw;
    json["holt_winters"] = {{"alpha", hw.alpha},       {"beta", hw.beta},
                            {"gamma", hw.gamma},       {"phi", hw.phi},
                            {"level", hw.level},       {"trend", hw.trend},
                            {"seasonal", hw.seasonal}, {"observations", hw.observations},
                            {"sigma", hw.sigma},       {"sse", hw.sse}};
  }
  if (model.boosted)
    json["xgboost"] = {{"season", model.boosted->season},
                       {"scale", model.boosted->scale},
                       {"sigma", model.boosted->sigma},
                       {"trees", model.boosted->trees.ToJson()}};
  return json;
}

Result<ForecastModel> ParseModel(std::string_view text) {
  try {
    auto json = nlohmann::json::parse(text);
    ForecastModel model;
    std::string family = json.at("family").get<std::string>();
    model.family = family == "holt_winters" ? ts::Family::kHoltWinters
                   : family == "xgboost"    ? ts::Family::kBoostedLags
                                            : ts::Family::kSeasonalNaive;
    model.season = json.at("season").get<int>();
    auto interval = ParseInterval(json.at("interval").get<std::string>());
    auto first = ParseDay(json.at("first_period").get<std::string>());
    if (!interval || !first || model.season < 1) throw std::runtime_error("bad interval, period or season");
    model.series.interval = *interval;
    model.series.first_period = *first;
    model.series.values = json.at("series").get<std::vector<double>>();
    if (model.series.values.empty()) throw std::runtime_error("an empty series");
    if (model.family == ts::Family::kHoltWinters) {
      const auto& p = json.at("holt_winters");
      ts::HoltWinters hw;
      hw.season = model.season;
      hw.alpha = p.at("alpha").get<double>();
      hw.beta = p.at("beta").get<double>();
      hw.gamma = p.at("gamma").get<double>();
      hw.phi = p.at("phi").get<double>();
      hw.level = p.at("level").get<double>();
      hw.trend = p.at("trend").get<double>();
      hw.seasonal = p.at("seasonal").get<std::vector<double>>();
      hw.observations = p.at("observations").get<std::size_t>();
      hw.sigma = p.at("sigma").get<double>();
      hw.sse = p.at("sse").get<double>();
      if (hw.seasonal.size() != static_cast<std::size_t>(model.season))
        throw std::runtime_error("seasonal states do not match the season");
      model.hw = std::move(hw);
    }
    if (model.family == ts::Family::kBoostedLags) {
      const auto& p = json.at("xgboost");
      ts::BoostedLags boosted;
      boosted.season = p.at("season").get<int>();
      boosted.scale = p.at("scale").get<double>();
      boosted.sigma = p.at("sigma").get<double>();
      auto trees = ml::TreeEnsemble::FromJson(p.at("trees"));
      if (!trees) throw std::runtime_error(trees.error().message);
      boosted.trees = std::move(*trees);
      if (boosted.season < 4 || model.series.values.size() < 2 * static_cast<std::size_t>(boosted.season))
        throw std::runtime_error("the series is shorter than the trees' lags");
      model.boosted = std::move(boosted);
    }
    return model;
  } catch (const std::exception& e) {
    return Error{ErrorCode::kInternal, fmt::format("a stored forecasting model does not read: {}", e.what())};
  }
}

ForecastModel SeasonalNaiveOf(const Series& series) {
  ForecastModel model;
  model.season = SeasonOf(series.interval);
  model.series = series;
  return model;
}

Result<Candidate> Fit(const Series& series, FitOptions options) {
  const int season = SeasonOf(series.interval);
  const int n = static_cast<int>(series.values.size());
  // The backtest needs two seasons of history before its first cut-off, and one period after it.
  const int horizon = std::min(options.holdout_periods, n - 2 * season);
  if (horizon < 1)
    return Error{ErrorCode::kValidation,
                 fmt::format("{} {}s of sales are too few to judge a model on: at least {} are needed", n,
                             IntervalName(series.interval), 2 * season + 1)};
  auto history = std::span<const double>(series.values);
  ts::Choice choice = ts::ChooseFamily(history, season, horizon, options.backtest_origins);

  Candidate candidate;
  candidate.model.family = choice.family;
  candidate.model.season = season;
  candidate.model.series = series;
  if (choice.family == ts::Family::kHoltWinters) {
    candidate.model.hw = ts::FitHoltWinters(history, season);
    if (!candidate.model.hw) candidate.model.family = ts::Family::kSeasonalNaive;
  } else if (choice.family == ts::Family::kBoostedLags) {
    candidate.model.boosted = ts::FitBoostedLags(history, season);
    if (!candidate.model.boosted) candidate.model.family = ts::Family::kSeasonalNaive;
  }
  candidate.mase = choice.chosen.accuracy.mase;

  // The holdout split the backtest route shows: the last `horizon` periods, both families fitted to the rest.
  auto train = history.subspan(0, static_cast<std::size_t>(n - horizon));
  auto test = history.subspan(static_cast<std::size_t>(n - horizon));
  ts::Forecast served = ts::ForecastWith(candidate.model.family, train, season, horizon);
  ts::Forecast naive = ts::SeasonalNaive(train, season, horizon);
  const std::int64_t test_start = AddPeriods(series.first_period, series.interval, n - horizon);
  candidate.metrics = {{"split",
                        {{"train_end", FormatDay(AddPeriods(test_start, series.interval, -1))},
                         {"test_start", FormatDay(test_start)},
                         {"test_end", FormatDay(series.LastPeriod())},
                         {"periods", horizon}}},
                       {"holdout", AccuracyJson(ts::Measure(test, served.mean, train, season))},
                       {"holdout_seasonal_naive", AccuracyJson(ts::Measure(test, naive.mean, train, season))},
                       {"backtest",
                        {{"origins", choice.chosen.origins},
                         {"horizon", horizon},
                         {"chosen", AccuracyJson(choice.chosen.accuracy)},
                         {"seasonal_naive", AccuracyJson(choice.baseline.accuracy)},
                         {"holt_winters", AccuracyJson(choice.holt_winters.accuracy)},
                         {"xgboost", AccuracyJson(choice.boosted_lags.accuracy)}}}};
  return candidate;
}

}  // namespace keel::siprems
