// meta.json parsing and the input check of prediction requests.
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

TEST(FeatureRow, OrdersValuesByTheModelsFeatures) {
  std::vector<http::FieldError> errors;
  auto row = FeatureRow(Meta(), nlohmann::json{{"year", 1999}, {"area", 1234.5}}, "", errors);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(*row, (std::vector<float>{1234.5f, 1999.0f}));
  EXPECT_TRUE(errors.empty());
}

TEST(FeatureRow, ReportsEveryBadFieldWithItsPath) {
  std::vector<http::FieldError> errors;
  auto instance = nlohmann::json{{"area", "big"}, {"rooms", 3}};
  EXPECT_FALSE(FeatureRow(Meta(), instance, "instances/2/", errors).has_value());
  ASSERT_EQ(errors.size(), 3U);
  EXPECT_EQ(errors[0].field, "instances/2/area");
  EXPECT_EQ(errors[0].message, "must be a number");
  EXPECT_EQ(errors[1].field, "instances/2/year");
  EXPECT_EQ(errors[1].message, "is missing");
  EXPECT_EQ(errors[2].field, "instances/2/rooms");
}

TEST(FeatureRow, RefusesOutOfRangeNonFiniteAndNonNumbers) {
  for (const auto& bad : {nlohmann::json(50), nlohmann::json(20000), nlohmann::json(true),
                          nlohmann::json(nullptr), nlohmann::json(std::nan("")), nlohmann::json(INFINITY)}) {
    std::vector<http::FieldError> errors;
    EXPECT_FALSE(FeatureRow(Meta(), nlohmann::json{{"area", bad}, {"year", 2000}}, "", errors).has_value())
        << bad;
    ASSERT_EQ(errors.size(), 1U) << bad;
    EXPECT_EQ(errors[0].field, "area");
  }
  std::vector<http::FieldError> errors;
  EXPECT_FALSE(FeatureRow(Meta(), nlohmann::json::array(), "", errors).has_value());
  EXPECT_EQ(errors[0].field, "features");
}

TEST(CanonicalRow, IsTheSameForEqualValuesHoweverWritten) {
  std::vector<http::FieldError> errors;
  auto a = FeatureRow(Meta(), nlohmann::json::parse(R"({"area": 3000, "year": 2000.0})"), "", errors);
  auto b = FeatureRow(Meta(), nlohmann::json::parse(R"({"year": 2000, "area": 3.0e3})"), "", errors);
  EXPECT_EQ(CanonicalRow(*a), CanonicalRow(*b));
  EXPECT_NE(CanonicalRow(*a), CanonicalRow({3000.0f, 2001.0f}));
  EXPECT_EQ(CanonicalRow({-0.0f}), CanonicalRow({0.0f}));
}

}  // namespace
}  // namespace keel::ml
