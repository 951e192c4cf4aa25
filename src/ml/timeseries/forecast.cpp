// Forecast points and accuracy measures.
#include "ml/timeseries/forecast.hpp"

#include <cmath>
#include <cstddef>

namespace keel::ml::timeseries {

void AddPoint(Forecast& forecast, double mean, double sd) {
  forecast.mean.push_back(mean);
  forecast.lower80.push_back(mean - kZ80 * sd);
  forecast.upper80.push_back(mean + kZ80 * sd);
  forecast.lower95.push_back(mean - kZ95 * sd);
  forecast.upper95.push_back(mean + kZ95 * sd);
}

namespace {

// Mean |y_t - y_{t-lag}| over the history, or 0 when it is too short.
double MeanLagDifference(std::span<const double> history, std::size_t lag) {
  if (lag == 0 || history.size() <= lag) return 0;
  double sum = 0;
  for (std::size_t t = lag; t < history.size(); ++t) sum += std::abs(history[t] - history[t - lag]);
  return sum / static_cast<double>(history.size() - lag);
}

}  // namespace

Accuracy Measure(std::span<const double> actual, std::span<const double> forecast,
                 std::span<const double> history, int season) {
  Accuracy accuracy;
  const std::size_t n = std::min(actual.size(), forecast.size());
  if (n == 0) return accuracy;
  double absolute = 0, symmetric = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double error = std::abs(actual[i] - forecast[i]);
    absolute += error;
    const double scale = std::abs(actual[i]) + std::abs(forecast[i]);
    if (scale > 0) symmetric += 200.0 * error / scale;
  }
  accuracy.mae = absolute / static_cast<double>(n);
  accuracy.smape = symmetric / static_cast<double>(n);
  double scale = MeanLagDifference(history, static_cast<std::size_t>(std::max(1, season)));
  if (scale == 0) scale = MeanLagDifference(history, 1);
  if (scale == 0) scale = 1;
  accuracy.mase = accuracy.mae / scale;
  return accuracy;
}

}  // namespace keel::ml::timeseries
