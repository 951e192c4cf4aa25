// Exponential smoothing with a damped additive trend and additive seasonality: ETS(A,Ad,A) in the taxonomy of
// Hyndman, Koehler, Ord & Snyder, "Forecasting with Exponential Smoothing" (2008). Level, trend and one
// seasonal state per period of the season are updated by each observation's one-step error:
//
//   e_t = y_t - (l + phi b + s_{t mod m})
//   l  <- l + phi b + alpha e_t       b <- phi b + beta e_t       s_{t mod m} <- s_{t mod m} + gamma e_t
//
// The parameters minimize the in-sample sum of squared one-step errors (Nelder-Mead over a mapping that keeps
// them admissible: 0 < alpha < 1, 0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98). The initial
// states are the classical ones (first season's mean, the change between the first two seasons' means, the
// first season's deviations from that trend). Intervals are the model's analytic ones (class 1, Table 6.1 of
// the book).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "ml/timeseries/forecast.hpp"

namespace keel::ml::timeseries {

struct HoltWinters {
  int season = 1;
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
  double level = 0, trend = 0;
  std::vector<double> seasonal;  // by period index modulo the season
  std::size_t observations = 0;  // the history's length: the next period's index
  double sigma = 0;              // standard deviation of the one-step errors
  double sse = 0;
};

// Nothing when the history is shorter than two seasons (or than 4 periods without one).
std::optional<HoltWinters> FitHoltWinters(std::span<const double> history, int season);

Forecast ForecastHoltWinters(const HoltWinters& model, int horizon);

}  // namespace keel::ml::timeseries
