// A point forecast with its 80% and 95% prediction intervals, one value per future period, nearest first; and
// the accuracy measures a forecast is judged by against what then happened.
#pragma once

#include <span>
#include <vector>

namespace keel::ml::timeseries {

struct Forecast {
  std::vector<double> mean;
  std::vector<double> lower80, upper80;
  std::vector<double> lower95, upper95;
};

// Normal quantiles of the two intervals.
inline constexpr double kZ80 = 1.2815515655446004;
inline constexpr double kZ95 = 1.959963984540054;

// Appends one period: `mean` with intervals of half-width z * sd.
void AddPoint(Forecast& forecast, double mean, double sd);

struct Accuracy {
  double mae = 0;    // mean absolute error
  double smape = 0;  // symmetric mean absolute percentage error, in percent (0 when both values are 0)
  double mase = 0;   // MAE over the in-sample MAE of the seasonal naive forecast (Hyndman & Koehler 2006)
};

// `history` is what the forecast was made from: it gives MASE's scale (mean |y_t - y_{t-season}|; with a
// history shorter than a season, or a constant one, the lag-1 scale, then 1).
Accuracy Measure(std::span<const double> actual, std::span<const double> forecast,
                 std::span<const double> history, int season);

}  // namespace keel::ml::timeseries
