// Holdout metrics of a regressor: MAE, RMSE, R² and MAPE.
#pragma once

#include <span>

#include <nlohmann/json.hpp>

namespace keel::ml {

struct RegressionMetrics {
  double mae = 0;
  double rmse = 0;
  double r2 = 0;
  double mape = 0;  // percent, over rows whose actual value is not zero
  nlohmann::json ToJson() const;
};

// REQUIRES: actual and predicted have the same, non-zero size.
RegressionMetrics Evaluate(std::span<const float> actual, std::span<const double> predicted);

}  // namespace keel::ml
