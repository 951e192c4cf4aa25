// meta.json parsing and the canonical row of cache keys.
#include "ml/model_meta.hpp"

#include <gtest/gtest.h>

namespace keel::ml {
namespace {

const char* kMeta = R"({
  "name": "property", "version": "v1", "target": "sale_price", "trained_at": "2026-11-25T20:00:00.000Z",
  "features": [{"name": "area", "min": 100, "max": 10000}, {"name": "year", "min": 1800, "max": 2030}],
  "metrics": {"mae": 1.5}, "training": {"rows": 10},
  "validation_sample": {"rows": [[1000, 1990], [2000, 2000]], "expected": [100000.0, 200000.0]}
})";

ModelMeta Meta() { return ModelMeta::Parse(kMeta).value(); }

TEST(ModelMeta, ParsesAndRoundTrips) {
  auto meta = Meta();
  EXPECT_EQ(meta.features.size(), 2U);
  EXPECT_EQ(meta.features[1].name, "year");
  EXPECT_EQ(meta.sample.rows[1][0], 2000.0f);
  EXPECT_DOUBLE_EQ(meta.sample.tolerance, 1e-3);
  auto again = ModelMeta::Parse(meta.ToJson().dump());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->ToJson(), meta.ToJson());
}

TEST(ModelMeta, RefusesBrokenFiles) {
  auto json = nlohmann::json::parse(kMeta);
  auto broken = [&](auto edit) {
    auto copy = json;
    edit(copy);
    return ModelMeta::Parse(copy.dump());
  };
  EXPECT_FALSE(ModelMeta::Parse("not json").ok());
  EXPECT_FALSE(broken([](auto& j) { j.erase("features"); }).ok());
  EXPECT_FALSE(broken([](auto& j) { j["features"] = nlohmann::json::array(); }).ok());
  EXPECT_FALSE(broken([](auto& j) { j["features"][0]["min"] = 20000; }).ok());
  EXPECT_FALSE(broken([](auto& j) { j["features"][1]["name"] = "area"; }).ok());
  EXPECT_FALSE(broken([](auto& j) { j["validation_sample"]["expected"].push_back(1.0); }).ok());
  EXPECT_FALSE(broken([](auto& j) { j["validation_sample"]["rows"][0].push_back(1.0); }).ok());
  auto error = broken([](auto& j) { j["version"] = 3; });
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code, ErrorCode::kInvalidArgument);
}

TEST(CanonicalRow, IsTheSameForEqualValuesAndDiffersOtherwise) {
  EXPECT_EQ(CanonicalRow({3000.0f, 2000.0f}), CanonicalRow({3.0e3f, 2000.0f}));
  EXPECT_NE(CanonicalRow({3000.0f, 2000.0f}), CanonicalRow({3000.0f, 2001.0f}));
  EXPECT_NE(CanonicalRow({30.0f, 0.0f}), CanonicalRow({3.0f, 0.0f}));
  EXPECT_EQ(CanonicalRow({-0.0f}), CanonicalRow({0.0f}));
}

}  // namespace
}  // namespace keel::ml
