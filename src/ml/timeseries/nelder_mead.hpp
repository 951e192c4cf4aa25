// Minimizes a function of a few unconstrained variables by the Nelder-Mead simplex method (standard
// coefficients: reflection 1, expansion 2, contraction 0.5, shrink 0.5). Enough for smoothing parameters,
// which have no cheap gradient.
#pragma once

#include <functional>
#include <vector>

namespace keel::ml::timeseries {

struct Minimum {
  std::vector<double> x;
  double value = 0;
  int evaluations = 0;
};

// Starts from `start` with steps of `step` along each axis; stops when the simplex's values agree to within
// `tolerance` (absolute and relative) or after `max_evaluations`.
Minimum NelderMead(const std::function<double(const std::vector<double>&)>& f, std::vector<double> start,
                   double step = 0.5, double tolerance = 1e-9, int max_evaluations = 2000);

}  // namespace keel::ml::timeseries
