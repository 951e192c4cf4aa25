// PredictionCache: entries are per model version, expire with their TTL, and count hits and misses.
#include "ml/prediction_cache.hpp"

#include <gtest/gtest.h>

#include "core/run_to_completion.hpp"
#include "storage/kv/memory/memory_kv.hpp"

namespace keel::ml {
namespace {

ModelMeta Version(std::string version) {
  ModelMeta meta;
  meta.name = "property";
  meta.version = std::move(version);
  return meta;
}

double Counter(Metrics& metrics, const std::string& name) {
  auto text = metrics.Serialize();
  auto at = text.find(name + "{model=\"property\"} ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 19));
}

TEST(PredictionCache, KeysDifferByVersionAndFeaturesOnly) {
  EXPECT_EQ(PredictionCache::Key(Version("v1"), {1.0f, 2.5f}), "pred:property:v1:1,2.5,");
  EXPECT_NE(PredictionCache::Key(Version("v1"), {1.0f, 2.5f}),
            PredictionCache::Key(Version("v2"), {1.0f, 2.5f}));
  EXPECT_EQ(PredictionCache::Key(Version("v1"), {3.0f}), PredictionCache::Key(Version("v1"), {3.0e0f}));
}

TEST(PredictionCache, ANewVersionNeverAnswersFromTheOldOnesEntries) {
  ManualClock clock;
  Metrics metrics;
  PredictionCache cache(std::make_unique<kv::MemoryKv>(kv::MemoryKvOptions{}, clock),
                        std::chrono::seconds(60), metrics);
  auto v1 = PredictionCache::Key(Version("v1"), {1, 2});
  auto v2 = PredictionCache::Key(Version("v2"), {1, 2});
  EXPECT_FALSE(RunToCompletion(cache.Get("property", v1)).has_value());
  RunToCompletion([&]() -> Task<bool> {
    co_await cache.Put(v1, 123456.5);
    co_return true;
  }());
  EXPECT_EQ(RunToCompletion(cache.Get("property", v1)), 123456.5);
  EXPECT_FALSE(RunToCompletion(cache.Get("property", v2)).has_value());
  EXPECT_EQ(Counter(metrics, "keel_model_cache_hits_total"), 1);
  EXPECT_EQ(Counter(metrics, "keel_model_cache_misses_total"), 2);

  clock.Advance(std::chrono::seconds(61));
  EXPECT_FALSE(RunToCompletion(cache.Get("property", v1)).has_value());  // past its TTL
}

}  // namespace
}  // namespace keel::ml
