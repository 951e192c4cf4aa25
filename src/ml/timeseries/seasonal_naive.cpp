// Seasonal naive: repetition of the last season, sd * sqrt(full seasons ahead) for the intervals.
#include "ml/timeseries/seasonal_naive.hpp"

#include <cmath>
#include <cstddef>

namespace keel::ml::timeseries {

Forecast SeasonalNaive(std::span<const double> history, int season, int horizon) {
  const std::size_t n = history.size();
  const std::size_t m =
      season >= 1 && static_cast<std::size_t>(season) <= n ? static_cast<std::size_t>(season) : 1;
  double squares = 0;
  for (std::size_t t = m; t < n; ++t)
    squares += (history[t] - history[t - m]) * (history[t] - history[t - m]);
  const double sd = n > m ? std::sqrt(squares / static_cast<double>(n - m)) : 0;
  Forecast forecast;
  for (int h = 1; h <= horizon; ++h) {
    const std::size_t step = static_cast<std::size_t>(h);
    const std::size_t seasons_ahead = (step - 1) / m + 1;
    const double value = history[n - m + (step - 1) % m];
    AddPoint(forecast, value, sd * std::sqrt(static_cast<double>(seasons_ahead)));
  }
  return forecast;
}

}  // namespace keel::ml::timeseries
