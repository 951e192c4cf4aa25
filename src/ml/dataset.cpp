// ReadCsv and SplitHoldout.
#include "ml/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>

#include <fmt/format.h>

namespace keel::ml {
namespace {

std::vector<std::string> SplitLine(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  for (;;) {
    auto comma = line.find(',', start);
    cells.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!cells.empty() && !cells.back().empty() && cells.back().back() == '\r') cells.back().pop_back();
  return cells;
}

Dataset Pick(const Dataset& data, const std::vector<std::size_t>& rows) {
  Dataset out;
  out.features = data.features;
  out.target = data.target;
  std::size_t width = data.features.size();
  for (std::size_t row : rows) {
    out.x.insert(out.x.end(), data.x.begin() + static_cast<std::ptrdiff_t>(row * width),
                 data.x.begin() + static_cast<std::ptrdiff_t>((row + 1) * width));
    out.y.push_back(data.y[row]);
  }
  return out;
}

}  // namespace

std::vector<float> Dataset::Row(std::size_t row) const {
  auto begin = x.begin() + static_cast<std::ptrdiff_t>(row * features.size());
  return std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(features.size()));
}

Result<Dataset> ReadCsv(const std::filesystem::path& path, const std::string& target) {
  std::ifstream in(path);
  if (!in) return Error{ErrorCode::kInvalidArgument, fmt::format("cannot read {}", path.string())};
  std::string line;
  if (!std::getline(in, line))
    return Error{ErrorCode::kInvalidArgument, fmt::format("{} is empty", path.string())};
  auto header = SplitLine(line);
  std::size_t target_column = header.size() - 1;
  if (!target.empty()) {
    auto found = std::find(header.begin(), header.end(), target);
    if (found == header.end())
      return Error{ErrorCode::kInvalidArgument, fmt::format("{} has no column {}", path.string(), target)};
    target_column = static_cast<std::size_t>(found - header.begin());
  }
  Dataset data;
  data.target = header[target_column];
  for (std::size_t c = 0; c < header.size(); ++c)
    if (c != target_column) data.features.push_back(header[c]);
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    auto cells = SplitLine(line);
    if (cells.size() != header.size())
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("{} line {}: {} values, the header has {}", path.string(), number,
                               cells.size(), header.size())};
    for (std::size_t c = 0; c < cells.size(); ++c) {
      char* end = nullptr;
      double value = std::strtod(cells[c].c_str(), &end);
      if (cells[c].empty() || *end != '\0' || !std::isfinite(value))
        return Error{ErrorCode::kInvalidArgument, fmt::format("{} line {}, column {}: '{}' is not a number",
                                                              path.string(), number, header[c], cells[c])};
      (c == target_column ? data.y : data.x).push_back(static_cast<float>(value));
    }
  }
  if (data.rows() < 10)
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} has {} rows; training needs at least 10", path.string(), data.rows())};
  return data;
}

std::pair<Dataset, Dataset> SplitHoldout(const Dataset& data, double holdout_fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(data.rows());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 engine(seed);
  // Fisher-Yates by hand: std::shuffle's draws are implementation-defined, and a split must not change with
  // the standard library.
  for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[engine() % (i + 1)]);
  auto holdout = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::llround(holdout_fraction * order.size())), 1, order.size() - 1);
  std::vector<std::size_t> test(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(holdout));
  std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(holdout), order.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());
  return {Pick(data, train), Pick(data, test)};
}

}  // namespace keel::ml
