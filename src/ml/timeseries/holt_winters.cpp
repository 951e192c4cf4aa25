// ETS(A,Ad,A): initial states, the smoothing recursion, fitting and forecasting.
#include "ml/timeseries/holt_winters.hpp"

#include <cmath>
#include <cstddef>
#include <numeric>

#include "ml/timeseries/nelder_mead.hpp"

namespace keel::ml::timeseries {

namespace {

double Logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Unconstrained optimizer variables to admissible parameters.
void Map(const std::vector<double>& x, HoltWinters& model) {
  model.alpha = 0.0001 + 0.9998 * Logistic(x[0]);
  model.beta = model.alpha * Logistic(x[1]);
  model.gamma = model.season > 1 ? (1.0 - model.alpha) * Logistic(x[2]) : 0.0;
  model.phi = 0.8 + 0.18 * Logistic(x[3]);
}

// The classical initial states from the first two seasons.
void Initialize(std::span<const double> y, HoltWinters& model) {
  const std::size_t m = static_cast<std::size_t>(model.season);
  const std::size_t first = std::max<std::size_t>(m, 2);
  const double mean1 = std::accumulate(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(first), 0.0) /
                       static_cast<double>(first);
  const double mean2 = std::accumulate(y.begin() + static_cast<std::ptrdiff_t>(first),
                                       y.begin() + static_cast<std::ptrdiff_t>(2 * first), 0.0) /
                       static_cast<double>(first);
  // The first season's mean is the level at its middle, (first - 1) / 2: the states before the first
  // observation are that level taken back along the trend, and each seasonal state is its period's deviation
  // from the trend line, so the trend does not leak into the season.
  model.trend = (mean2 - mean1) / static_cast<double>(first);
  const double middle = (static_cast<double>(first) - 1.0) / 2.0;
  model.level = mean1 - (middle + 1.0) * model.trend;
  model.seasonal.assign(m, 0.0);
  if (m > 1)
    for (std::size_t i = 0; i < m; ++i)
      model.seasonal[i] = y[i] - (mean1 + (static_cast<double>(i) - middle) * model.trend);
}

// Runs the recursion over the history from the initial states; returns the sum of squared one-step errors.
double Smooth(std::span<const double> y, HoltWinters& model) {
  const std::size_t m = static_cast<std::size_t>(model.season);
  double sse = 0;
  for (std::size_t t = 0; t < y.size(); ++t) {
    double& s = model.seasonal[t % m];
    const double error = y[t] - (model.level + model.phi * model.trend + s);
    model.level += model.phi * model.trend + model.alpha * error;
    model.trend = model.phi * model.trend + model.beta * error;
    s += model.gamma * error;
    sse += error * error;
  }
  model.observations = y.size();
  return sse;
}

}  // namespace

std::optional<HoltWinters> FitHoltWinters(std::span<const double> history, int season) {
  HoltWinters model;
  model.season = std::max(1, season);
  const std::size_t needed = 2 * std::max<std::size_t>(static_cast<std::size_t>(model.season), 2);
  if (history.size() < needed) return std::nullopt;
  auto sse = [&](const std::vector<double>& x) {
    HoltWinters trial = model;
    Map(x, trial);
    Initialize(history, trial);
    return Smooth(history, trial);
  };
  // A few starts (light, moderate and heavy smoothing): the surface has local minima.
  Minimum best;
  best.value = HUGE_VAL;
  for (double start : {-2.0, 0.0, 2.0}) {
    Minimum found = NelderMead(sse, {start, -1.0, -1.0, 1.0});
    if (found.value < best.value) best = std::move(found);
  }
  Map(best.x, model);
  Initialize(history, model);
  model.sse = Smooth(history, model);
  const double dof = std::max<double>(1.0, static_cast<double>(history.size()) - 4.0);
  model.sigma = std::sqrt(model.sse / dof);
  return model;
}

Forecast ForecastHoltWinters(const HoltWinters& model, int horizon) {
  const std::size_t m = static_cast<std::size_t>(model.season);
  Forecast forecast;
  double damping = 0;     // phi + phi^2 + ... + phi^h
  double variance = 1.0;  // 1 + sum over j < h of c_j^2, in units of sigma^2
  double damping_j = 0;   // phi + ... + phi^j for the variance terms
  for (int h = 1; h <= horizon; ++h) {
    damping += std::pow(model.phi, h);
    const std::size_t period = (model.observations + static_cast<std::size_t>(h) - 1) % m;
    const double mean = model.level + damping * model.trend + model.seasonal[period];
    AddPoint(forecast, mean, model.sigma * std::sqrt(variance));
    // c_h for the next step's variance: alpha + beta phi_h + gamma [h is a whole number of seasons].
    damping_j += std::pow(model.phi, h);
    const double c = model.alpha + model.beta * damping_j +
                     (m > 1 && static_cast<std::size_t>(h) % m == 0 ? model.gamma : 0.0);
    variance += c * c;
  }
  return forecast;
}

}  // namespace keel::ml::timeseries
