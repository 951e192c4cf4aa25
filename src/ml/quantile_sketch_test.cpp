#include "ml/quantile_sketch.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace keel::ml {
namespace {

// The exact nearest-rank quantile of sorted values.
double NearestRank(const std::vector<double>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

void ExpectWithinAccuracy(const QuantileSketch& sketch, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  for (double p : {0.001, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    double exact = NearestRank(values, p);
    auto estimate = sketch.Quantile(p);
    ASSERT_TRUE(estimate.has_value());
    EXPECT_LE(std::fabs(*estimate - exact), QuantileSketch::kRelativeAccuracy * std::fabs(exact) + 1e-12)
        << "p=" << p << " exact=" << exact << " estimate=" << *estimate;
  }
}

TEST(QuantileSketch, EveryQuantileIsWithinOnePercentOfTheExactNearestRank) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(std::log(2000.0), 1.2);  // microseconds, a long tail
  std::normal_distribution<double> price(180'000, 60'000);             // crosses zero rarely
  QuantileSketch latencies, prices;
  std::vector<double> latency_values, price_values;
  for (int i = 0; i < 100'000; ++i) {
    latency_values.push_back(latency(random));
    latencies.Add(latency_values.back());
    price_values.push_back(price(random));
    prices.Add(price_values.back());
  }
  EXPECT_EQ(latencies.count(), 100'000u);
  ExpectWithinAccuracy(latencies, latency_values);
  ExpectWithinAccuracy(prices, price_values);
}

TEST(QuantileSketch, NegativeZeroAndPositiveValuesKeepTheirOrder) {
  QuantileSketch sketch;
  std::vector<double> values = {-500, -2.5, -2.5, 0, 0, 1e-12, 3, 40, 40, 1e6};
  for (double v : values) sketch.Add(v);
  ExpectWithinAccuracy(sketch, values);
  EXPECT_NEAR(*sketch.Quantile(0.1), -500, 5);
  EXPECT_EQ(*sketch.Quantile(0.5), 0.0);  // the 5th of 10: a zero
  EXPECT_NEAR(*sketch.Quantile(1.0), 1e6, 1e4);
}

TEST(QuantileSketch, MergingEqualsAddingEverythingToOne) {
  std::mt19937_64 random(11);
  std::exponential_distribution<double> values(0.001);
  QuantileSketch whole, minutes[60];
  for (int i = 0; i < 60'000; ++i) {
    double v = values(random);
    whole.Add(v);
    minutes[i % 60].Add(v);
  }
  QuantileSketch merged;
  for (const auto& minute : minutes) merged.Merge(minute);
  EXPECT_EQ(merged, whole);
}

TEST(QuantileSketch, TextRoundTripsAndRefusesWhatItCannotHaveMade) {
  QuantileSketch sketch;
  for (double v : {-3.0, 0.0, 0.5, 120.0, 120.0, 7e9}) sketch.Add(v);
  auto text = sketch.Encode();
  auto decoded = QuantileSketch::Decode(text);
  ASSERT_TRUE(decoded.has_value()) << text;
  EXPECT_EQ(*decoded, sketch);
  EXPECT_EQ(decoded->count(), 6u);
  EXPECT_EQ(QuantileSketch().Encode(), "z0;p;n");
  EXPECT_TRUE(QuantileSketch::Decode("z0;p;n").has_value());
  for (const char* bad : {"", "z", "z0", "z0;p", "p;n", "zx;p;n", "z0;p1:;n", "z0;p1:2,;n", "z0;p1:0;n",
                          "z0;p1:2,1:3;n", "z0;p2:1,1:1;n", "z0;n;p", "z0;p1-2;n", "z0;p1:2;n,",
                          "z0;p0:1,5000:1;n", "z0;p-2147483648:1,2147483647:1;n"})
    EXPECT_FALSE(QuantileSketch::Decode(bad).has_value()) << bad;
}

TEST(QuantileSketch, ABoundedNumberOfBucketsKeepsTheHighQuantilesAccurate) {
  QuantileSketch sketch;
  std::vector<double> values;
  // Each value in a bucket of its own (3 % apart), over 3,000 buckets: the lowest fold together.
  for (double v = 1e-3; v < 1e40; v *= 1.03) {
    values.push_back(v);
    sketch.Add(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {0.9, 0.99, 1.0}) {
    double exact = NearestRank(values, p);
    EXPECT_LE(std::fabs(*sketch.Quantile(p) - exact), QuantileSketch::kRelativeAccuracy * exact) << p;
  }
  EXPECT_TRUE(QuantileSketch::Decode(sketch.Encode()).has_value());
}

TEST(QuantileSketch, NaNIsNotCountedAndInfinityIsTheLargestValue) {
  QuantileSketch sketch;
  sketch.Add(std::nan(""));
  EXPECT_TRUE(sketch.empty());
  EXPECT_FALSE(sketch.Quantile(0.5).has_value());
  sketch.Add(1.0);
  sketch.Add(INFINITY);
  EXPECT_EQ(sketch.count(), 2u);
  EXPECT_GT(*sketch.Quantile(1.0), 1e307);
}

}  // namespace
}  // namespace keel::ml
