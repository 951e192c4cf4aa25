// Evaluate: one pass for the errors, one for the variance.
#include "ml/regression_metrics.hpp"

#include <cmath>

namespace keel::ml {

nlohmann::json RegressionMetrics::ToJson() const {
  return {{"mae", mae}, {"rmse", rmse}, {"r2", r2}, {"mape_percent", mape}};
}

RegressionMetrics Evaluate(std::span<const float> actual, std::span<const double> predicted) {
  RegressionMetrics m;
  double n = static_cast<double>(actual.size());
  double mean = 0;
  for (float a : actual) mean += a / n;
  double absolute = 0, squared = 0, total = 0, percent = 0;
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    double error = predicted[i] - actual[i];
    absolute += std::abs(error);
    squared += error * error;
    total += (actual[i] - mean) * (actual[i] - mean);
    if (actual[i] != 0) {
      percent += std::abs(error / actual[i]);
      ++nonzero;
    }
  }
  m.mae = absolute / n;
  m.rmse = std::sqrt(squared / n);
  m.r2 = total > 0 ? 1 - squared / total : 0;
  m.mape = nonzero > 0 ? 100 * percent / static_cast<double>(nonzero) : 0;
  return m;
}

}  // namespace keel::ml
