// A numeric training table read from CSV (header row, one target column, every other column a feature), and
// its reproducible split into training and holdout rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace keel::ml {

struct Dataset {
  std::vector<std::string> features;  // column order of `x`
  std::string target;
  std::vector<float> x;  // row-major, rows() x features.size()
  std::vector<float> y;
  std::size_t rows() const { return y.size(); }
  std::vector<float> Row(std::size_t row) const;
};

// `target` empty: the last column. kInvalidArgument naming the line and column of anything that is not a
// finite number, a row of the wrong width, a missing target column, or fewer than 10 rows.
Result<Dataset> ReadCsv(const std::filesystem::path& path, const std::string& target);

// Shuffles row indices with `seed` and keeps `holdout_fraction` of them (at least one) for evaluation.
std::pair<Dataset, Dataset> SplitHoldout(const Dataset& data, double holdout_fraction, std::uint64_t seed);

}  // namespace keel::ml
