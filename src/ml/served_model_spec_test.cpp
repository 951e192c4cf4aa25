// ParseServedModels: names, pins and per-model batching.
#include "ml/served_model_spec.hpp"

#include <gtest/gtest.h>

namespace keel::ml {
namespace {

const BatcherOptions kDefaults{.max_batch = 64, .max_delay = std::chrono::microseconds(500)};

TEST(ParseServedModels, ReadsNamesPinsAndBatchingOverrides) {
  auto specs = ParseServedModels({"property", "rent@20260101T000000Z"}, {"rent:1:0"}, kDefaults);
  ASSERT_TRUE(specs.ok()) << specs.error().message;
  ASSERT_EQ(specs->size(), 2U);
  EXPECT_EQ((*specs)[0].name, "property");
  EXPECT_EQ((*specs)[0].pinned, "");
  EXPECT_EQ((*specs)[0].batching.max_batch, 64U);
  EXPECT_EQ((*specs)[0].batching.max_delay.count(), 500);
  EXPECT_EQ((*specs)[1].name, "rent");
  EXPECT_EQ((*specs)[1].pinned, "20260101T000000Z");
  EXPECT_EQ((*specs)[1].batching.max_batch, 1U);
  EXPECT_EQ((*specs)[1].batching.max_delay.count(), 0);
}

TEST(ParseServedModels, RefusesWhatItCannotServe) {
  for (auto [models, batching] : std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>{
           {{""}, {}},
           {{"Property"}, {}},
           {{"property@"}, {}},
           {{"property", "property"}, {}},
           {{"property"}, {"other:8:100"}},
           {{"property"}, {"property:0:100"}},
           {{"property"}, {"property:8:-1"}},
           {{"property"}, {"property:8"}},
           {{"property"}, {"property:8:x"}},
       }) {
    EXPECT_FALSE(ParseServedModels(models, batching, kDefaults).ok())
        << (models.empty() ? "" : models[0]) << " " << (batching.empty() ? "" : batching[0]);
  }
}

}  // namespace
}  // namespace keel::ml
