// The seasonal naive forecast, every forecaster's baseline: each future period repeats the same period one
// season earlier (the last value, with no season). Its intervals come from the spread of the history's
// seasonal differences, widening with each further season ahead (Hyndman & Athanasopoulos, FPP3 5.5).
#pragma once

#include <span>

#include "ml/timeseries/forecast.hpp"

namespace keel::ml::timeseries {

// REQUIRES: history not empty. A history shorter than a season is forecast with no season.
Forecast SeasonalNaive(std::span<const double> history, int season, int horizon);

}  // namespace keel::ml::timeseries
