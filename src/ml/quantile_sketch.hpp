// A mergeable quantile sketch (DDSketch, Masson et al., VLDB 2019): values counted in logarithmic buckets, so
// that every quantile it answers is within kRelativeAccuracy (1%) of the true nearest-rank value, and two
// sketches merge exactly by adding their buckets. The prediction rollups keep one per minute and per hour for
// latency and for predictions; a window's percentiles merge the periods it covers.
//
// Bucket i holds the values in (gamma^(i-1), gamma^i], gamma = (1 + a) / (1 - a); it answers with
// 2 gamma^i / (gamma + 1), within a of each of them. Negative values have buckets of their own; values within
// kMinMagnitude of zero count as zero. Each sign's buckets are a dense array over at most kMaxBuckets indices
// (adding and merging are array arithmetic): values more than that many buckets below the largest one (a
// factor of 10^17) count in its lowest bucket, so only quantiles in the lowest part of such a range lose
// accuracy.
//
// Not thread-safe; a value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::ml {

class QuantileSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;
  static constexpr double kMinMagnitude = 1e-9;
  static constexpr std::size_t kMaxBuckets = 2048;

  void Add(double value, std::uint64_t times = 1);
  void Merge(const QuantileSketch& other);

  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // The nearest-rank quantile p (0 < p <= 1): the value of rank ceil(p * count), within the relative
  // accuracy. nullopt when empty.
  std::optional<double> Quantile(double p) const;

  // Text for a database column: "z<zeros>" then ";p" and ";n" lists of "index:count" (positive and negative
  // buckets, ascending). Decode gives nullopt for text Encode cannot have made.
  std::string Encode() const;
  static std::optional<QuantileSketch> Decode(std::string_view text);

  friend bool operator==(const QuantileSketch&, const QuantileSketch&) = default;

 private:
  // Counts of the bucket indices offset .. offset + counts.size() - 1; the first and the last are never 0.
  struct Buckets {
    std::vector<std::uint64_t> counts;
    std::int32_t offset = 0;

    void Add(std::int32_t index, std::uint64_t times);
    void Merge(const Buckets& other);
    // Covers low .. high, at most kMaxBuckets indices: the counts below the new lowest index fold into it.
    void Reframe(std::int32_t low, std::int32_t high);
    std::int32_t high() const { return offset + static_cast<std::int32_t>(counts.size()) - 1; }
    friend bool operator==(const Buckets&, const Buckets&) = default;
  };

  Buckets positive_;  // by the index of the value
  Buckets negative_;  // by the index of its magnitude
  std::uint64_t zeros_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace keel::ml
