#include "ml/timeseries/boosted_lags.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "ml/xgboost_model.hpp"

namespace keel::ml::timeseries {
namespace {

// Rows to learn from, at least.
constexpr std::size_t kMinimumRows = 8;

// Features of period t of `y` (which holds at least t values): scaled seasonal changes and calendar.
std::array<float, kBoostedLagFeatures> Features(const std::vector<double>& y, std::size_t t, int season,
                                                double scale) {
  const auto m = static_cast<std::size_t>(season);
  auto change = [&](std::size_t at) { return static_cast<float>((y[at] - y[at - m]) / scale); };
  return {change(t - 1),
          change(t - 2),
          change(t - 3),
          change(t - m),
          static_cast<float>(y[t - 1] / scale),
          static_cast<float>(t % m)};
}

// Small trees on a small series; deterministic (no subsampling).
std::optional<TreeEnsemble> Train(std::span<const float> x, std::span<const float> target) {
  TrainOptions options;
  options.rounds = 40;
  options.max_depth = 3;
  options.eta = 0.15;
  options.subsample = 1;
  options.colsample = 1;
  auto json = TrainRegressorJson(x, target, kBoostedLagFeatures, options);
  if (!json) return std::nullopt;
  auto trees = TreeEnsemble::FromXgboostJson(*json);
  if (!trees) return std::nullopt;
  return std::move(*trees);
}

}  // namespace

std::optional<BoostedLags> FitBoostedLags(std::span<const double> history, int season) {
  const auto m = static_cast<std::size_t>(std::max(season, 4));
  const std::size_t first = 2 * m;  // the first period whose features all exist (change(t - m) needs t - 2m)
  if (history.size() < first + kMinimumRows) return std::nullopt;
  BoostedLags model;
  model.season = static_cast<int>(m);
  double level = 0;
  for (double v : history) level += std::fabs(v);
  model.scale = std::max(level / static_cast<double>(history.size()), 1e-9);
  std::vector<double> y(history.begin(), history.end());
  std::vector<float> x, target;
  for (std::size_t t = first; t < y.size(); ++t) {
    auto row = Features(y, t, model.season, model.scale);
    x.insert(x.end(), row.begin(), row.end());
    target.push_back(static_cast<float>((y[t] - y[t - m]) / model.scale));
  }
  auto fitted = Train(x, target);
  if (!fitted) return std::nullopt;
  model.trees = std::move(*fitted);
  // The spread of errors on periods the trees did not learn from: in-sample errors of boosted trees are far
  // too small to build intervals on. The last fifth of the rows is held out for it, then everything learnt.
  const std::size_t rows = target.size();
  const std::size_t held = std::max<std::size_t>(3, rows / 5);
  auto early = Train(std::span<const float>(x).first((rows - held) * kBoostedLagFeatures),
                     std::span<const float>(target).first(rows - held));
  const TreeEnsemble& judge = early ? *early : model.trees;
  double sse = 0;
  for (std::size_t i = early ? rows - held : 0; i < rows; ++i) {
    const double predicted =
        judge.Predict(std::span<const float>(x).subspan(i * kBoostedLagFeatures, kBoostedLagFeatures));
    const double error = (target[i] - predicted) * model.scale;
    sse += error * error;
  }
  const std::size_t judged = early ? held : rows;
  model.sigma = std::sqrt(sse / static_cast<double>(judged));
  return model;
}

Forecast ForecastBoostedLags(const BoostedLags& model, std::span<const double> history, int horizon) {
  const auto m = static_cast<std::size_t>(model.season);
  std::vector<double> y(history.begin(), history.end());
  Forecast forecast;
  for (int h = 1; h <= horizon; ++h) {
    const std::size_t t = y.size();
    auto row = Features(y, t, model.season, model.scale);
    const double change = model.trees.Predict(row) * model.scale;
    y.push_back(y[t - m] + change);
    AddPoint(forecast, y.back(), model.sigma * std::sqrt(static_cast<double>(h)));
  }
  return forecast;
}

}  // namespace keel::ml::timeseries
