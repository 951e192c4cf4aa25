#include "http/metrics_summary.hpp"

#include <limits>

#include <gtest/gtest.h>

namespace keel::http {
namespace {

TEST(MetricsSummaryTest, QuantilesInterpolateInsideTheirBucketAsPrometheusDoes) {
  const double inf = std::numeric_limits<double>::infinity();
  // 100 observations: 50 up to 0.01 s, 40 more up to 0.1 s, 10 more up to 1 s.
  std::vector<std::pair<double, double>> buckets = {{0.01, 50}, {0.1, 90}, {1, 100}, {inf, 100}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(buckets, 0.5), 0.01);
  EXPECT_DOUBLE_EQ(HistogramQuantile(buckets, 0.25), 0.005);
  EXPECT_NEAR(HistogramQuantile(buckets, 0.7), 0.01 + 0.09 * 0.5, 1e-12);
  EXPECT_NEAR(HistogramQuantile(buckets, 0.95), 0.1 + 0.9 * 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(HistogramQuantile({{0.1, 0}, {inf, 0}}, 0.99), 0);
  EXPECT_DOUBLE_EQ(HistogramQuantile({{0.1, 1}, {inf, 3}}, 0.99),
                   0.1);  // in the open bucket: its lower bound
}

}  // namespace
}  // namespace keel::http
