// What the batcher and the prediction routes need from a model: predictions for a row-major block of rows.
//
// Thread safety: implementations must allow Predict from many threads at once.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace keel::ml {

class Predictor {
 public:
  virtual ~Predictor() = default;
  // REQUIRES: values.size() == rows * num_features() (row-major). One prediction per row.
  virtual Result<std::vector<double>> Predict(std::span<const float> values, std::size_t rows) const = 0;
  virtual std::size_t num_features() const = 0;
};

}  // namespace keel::ml
