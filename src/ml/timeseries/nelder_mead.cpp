// The Nelder-Mead simplex method.
#include "ml/timeseries/nelder_mead.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>

namespace keel::ml::timeseries {

Minimum NelderMead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> start,
                   double step, double tolerance, int max_evaluations) {
  const std::size_t n = start.size();
  std::vector<std::vector<double>> points(n + 1, start);
  for (std::size_t i = 0; i < n; ++i) points[i + 1][i] += step;
  std::vector<double> values(n + 1);
  int evaluations = 0;
  auto evaluate = [&](const std::vector<double>& x) {
    ++evaluations;
    double value = f(x);
    return std::isfinite(value) ? value : HUGE_VAL;
  };
  for (std::size_t i = 0; i <= n; ++i) values[i] = evaluate(points[i]);
  std::vector<std::size_t> order(n + 1);
  // Moves `from` towards (or through) the centroid: centroid + t * (centroid - from).
  auto along = [&](const std::vector<double>& centroid, const std::vector<double>& from, double t) {
    std::vector<double> x(n);
    for (std::size_t j = 0; j < n; ++j) x[j] = centroid[j] + t * (centroid[j] - from[j]);
    return x;
  };
  while (evaluations < max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    const std::size_t best = order.front(), worst = order.back(), second = order[n - 1];
    if (std::abs(values[worst] - values[best]) <= tolerance * (1 + std::abs(values[best]))) break;
    std::vector<double> centroid(n, 0.0);
    for (std::size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (std::size_t j = 0; j < n; ++j) centroid[j] += points[i][j] / static_cast<double>(n);
    auto reflected = along(centroid, points[worst], 1.0);
    const double reflected_value = evaluate(reflected);
    if (reflected_value < values[best]) {
      auto expanded = along(centroid, points[worst], 2.0);
      const double expanded_value = evaluate(expanded);
      if (expanded_value < reflected_value) {
        points[worst] = std::move(expanded);
        values[worst] = expanded_value;
      } else {
        points[worst] = std::move(reflected);
        values[worst] = reflected_value;
      }
      continue;
    }
    if (reflected_value < values[second]) {
      points[worst] = std::move(reflected);
      values[worst] = reflected_value;
      continue;
    }
    // Contract: outside when the reflection improved on the worst, inside otherwise.
    const bool outside = reflected_value < values[worst];
    auto contracted = along(centroid, points[worst], outside ? 0.5 : -0.5);
    const double contracted_value = evaluate(contracted);
    if (contracted_value < std::min(reflected_value, values[worst])) {
      points[worst] = std::move(contracted);
      values[worst] = contracted_value;
      continue;
    }
    for (std::size_t i = 0; i <= n; ++i) {
      if (i == best) continue;
      for (std::size_t j = 0; j < n; ++j)
        points[i][j] = points[best][j] + 0.5 * (points[i][j] - points[best][j]);
      values[i] = evaluate(points[i]);
    }
  }
  const std::size_t best =
      static_cast<std::size_t>(std::min_element(values.begin(), values.end()) - values.begin());
  return Minimum{points[best], values[best], evaluations};
}

}  // namespace keel::ml::timeseries
