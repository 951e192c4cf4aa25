// QuantileSketch: logarithmic buckets in dense arrays, their text form, nearest-rank queries.
#include "ml/quantile_sketch.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/format.h>

namespace keel::ml {

namespace {

constexpr double kGamma = (1 + QuantileSketch::kRelativeAccuracy) / (1 - QuantileSketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
constexpr auto kMaxSpan = static_cast<std::int32_t>(QuantileSketch::kMaxBuckets);

std::int32_t IndexOf(double magnitude) {
  magnitude = std::min(magnitude, std::numeric_limits<double>::max());
  return static_cast<std::int32_t>(std::ceil(std::log(magnitude) / kLogGamma));
}

double ValueOf(std::int32_t index) { return 2 * std::exp(index * kLogGamma) / (kGamma + 1); }

void AppendBuckets(std::string& out, const std::vector<std::uint64_t>& counts, std::int32_t offset) {
  bool first = true;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    fmt::format_to(std::back_inserter(out), "{}{}:{}", first ? "" : ",",
                   offset + static_cast<std::int32_t>(i), counts[i]);
    first = false;
  }
}

// "index:count,index:count", indices ascending, counts above 0; false on anything else.
bool ParseBuckets(std::string_view text, std::vector<std::pair<std::int32_t, std::uint64_t>>& out) {
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (at < end) {
    std::int32_t index = 0;
    std::uint64_t count = 0;
    auto parsed = std::from_chars(at, end, index);
    if (parsed.ec != std::errc() || parsed.ptr == end || *parsed.ptr != ':') return false;
    parsed = std::from_chars(parsed.ptr + 1, end, count);
    if (parsed.ec != std::errc() || count == 0) return false;
    if (!out.empty() && index <= out.back().first) return false;
    out.emplace_back(index, count);
    at = parsed.ptr;
    if (at == end) break;
    if (*at != ',' || at + 1 == end) return false;
    ++at;
  }
  return true;
}

}  // namespace

void QuantileSketch::Buckets::Reframe(std::int32_t low, std::int32_t high) {
  low = std::max(low, high - kMaxSpan + 1);
  if (!counts.empty() && low == offset && high == this->high()) return;
  std::vector<std::uint64_t> framed(static_cast<std::size_t>(high - low + 1));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    std::int32_t index = offset + static_cast<std::int32_t>(i);
    framed[static_cast<std::size_t>(std::max(index, low) - low)] += counts[i];
  }
  counts = std::move(framed);
  offset = low;
}

void QuantileSketch::Buckets::Add(std::int32_t index, std::uint64_t times) {
  if (counts.empty()) {
    counts.assign(1, times);
    offset = index;
    return;
  }
  Reframe(std::min(index, offset), std::max(index, high()));
  counts[static_cast<std::size_t>(std::max(index, offset) - offset)] += times;
}

void QuantileSketch::Buckets::Merge(const Buckets& other) {
  if (other.counts.empty()) return;
  if (counts.empty()) {
    *this = other;
    return;
  }
  Reframe(std::min(offset, other.offset), std::max(high(), other.high()));
  for (std::size_t i = 0; i < other.counts.size(); ++i) {
    std::int32_t index = other.offset + static_cast<std::int32_t>(i);
    counts[static_cast<std::size_t>(std::max(index, offset) - offset)] += other.counts[i];
  }
}

void QuantileSketch::Add(double value, std::uint64_t times) {
  if (std::isnan(value) || times == 0) return;
  count_ += times;
  double magnitude = std::fabs(value);
  if (magnitude < kMinMagnitude) {
    zeros_ += times;
    return;
  }
  (value > 0 ? positive_ : negative_).Add(IndexOf(magnitude), times);
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  positive_.Merge(other.positive_);
  negative_.Merge(other.negative_);
  zeros_ += other.zeros_;
  count_ += other.count_;
}

std::optional<double> QuantileSketch::Quantile(double p) const {
  if (count_ == 0) return std::nullopt;
  auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  // Ascending values: the negative buckets from the largest magnitude down, zero, the positive ones up.
  for (std::size_t i = negative_.counts.size(); i-- > 0;) {
    seen += negative_.counts[i];
    if (seen >= rank) return -ValueOf(negative_.offset + static_cast<std::int32_t>(i));
  }
  seen += zeros_;
  if (seen >= rank) return 0.0;
  for (std::size_t i = 0; i < positive_.counts.size(); ++i) {
    seen += positive_.counts[i];
    if (seen >= rank) return ValueOf(positive_.offset + static_cast<std::int32_t>(i));
  }
  return ValueOf(positive_.high());  // unreachable: the counts add up to count_
}

std::string QuantileSketch::Encode() const {
  std::string out = fmt::format("z{};p", zeros_);
  AppendBuckets(out, positive_.counts, positive_.offset);
  out += ";n";
  AppendBuckets(out, negative_.counts, negative_.offset);
  return out;
}

std::optional<QuantileSketch> QuantileSketch::Decode(std::string_view text) {
  if (!text.starts_with('z')) return std::nullopt;
  auto positive_at = text.find(";p");
  auto negative_at = text.find(";n");
  if (positive_at == std::string_view::npos || negative_at == std::string_view::npos ||
      negative_at < positive_at)
    return std::nullopt;
  QuantileSketch sketch;
  std::string_view zeros = text.substr(1, positive_at - 1);
  auto parsed = std::from_chars(zeros.data(), zeros.data() + zeros.size(), sketch.zeros_);
  if (parsed.ec != std::errc() || parsed.ptr != zeros.data() + zeros.size()) return std::nullopt;
  sketch.count_ = sketch.zeros_;
  std::vector<std::pair<std::int32_t, std::uint64_t>> pairs;
  for (auto [part, buckets] :
       {std::pair{text.substr(positive_at + 2, negative_at - positive_at - 2), &sketch.positive_},
        std::pair{text.substr(negative_at + 2), &sketch.negative_}}) {
    pairs.clear();
    if (!ParseBuckets(part, pairs)) return std::nullopt;
    if (pairs.empty()) continue;
    if (std::int64_t{pairs.back().first} - pairs.front().first >= kMaxSpan) return std::nullopt;
    buckets->offset = pairs.front().first;
    buckets->counts.assign(static_cast<std::size_t>(pairs.back().first - pairs.front().first + 1), 0);
    for (const auto& [index, count] : pairs) {
      buckets->counts[static_cast<std::size_t>(index - buckets->offset)] = count;
      sketch.count_ += count;
    }
  }
  return sketch;
}

}  // namespace keel::ml
