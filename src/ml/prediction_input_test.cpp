// ParsePredictionInput: one instance and many, feature order, and one error per offending field.
#include "ml/prediction_input.hpp"

#include <gtest/gtest.h>

namespace keel::ml {
namespace {

ml::ModelMeta Meta() {
  ml::ModelMeta meta;
  meta.name = "property";
  meta.version = "v1";
  meta.features = {{"area", 100, 10000}, {"year", 1800, 2030}};
  return meta;
}

std::vector<std::string> Fields(const ParsedPrediction& parsed) {
  std::vector<std::string> fields;
  if (auto* invalid = std::get_if<http::InputProblem>(&parsed))
    for (const auto& e : invalid->errors) fields.push_back(e.field + ": " + e.message);
  return fields;
}

TEST(ParsePredictionInput, ReadsOneInstanceInTheModelsFeatureOrder) {
  auto parsed = ParsePredictionInput(R"({"features": {"year": 1999, "area": 1234.5}})", Meta());
  auto* input = std::get_if<PredictionInput>(&parsed);
  ASSERT_NE(input, nullptr) << testing::PrintToString(Fields(parsed));
  EXPECT_FALSE(input->many);
  EXPECT_EQ(input->rows, 1U);
  EXPECT_EQ(input->values, (std::vector<float>{1234.5f, 1999.0f}));
}

TEST(ParsePredictionInput, ReadsManyInstances) {
  auto parsed = ParsePredictionInput(
      R"({"instances": [{"area": 200, "year": 1900}, {"year": 2000, "area": 300}]})", Meta());
  auto* input = std::get_if<PredictionInput>(&parsed);
  ASSERT_NE(input, nullptr);
  EXPECT_TRUE(input->many);
  EXPECT_EQ(input->rows, 2U);
  EXPECT_EQ(input->Row(1, 2), (std::vector<float>{300, 2000}));
}

TEST(ParsePredictionInput, NamesEveryBadFieldWithItsInstance) {
  auto parsed = ParsePredictionInput(
      R"({"instances": [{"area": 200, "year": 1900},
                        {"area": "big", "colour": 3},
                        {"area": 50, "year": true},
                        {"area": 200, "year": NaN},
                        {"area": -Infinity, "year": "Infinity"},
                        7]})",
      Meta());
  EXPECT_EQ(Fields(parsed), (std::vector<std::string>{
                                "instances/1/area: must be a number",
                                "instances/1/colour: is not a feature of this model",
                                "instances/1/year: is missing",
                                "instances/2/area: must be between 100 and 10000",
                                "instances/2/year: must be a number",
                                "instances/3/year: must be a finite number",
                                "instances/4/area: must be a finite number",
                                "instances/4/year: must be a finite number",
                                "instances/5: must be an object of features",
                            }));
}

TEST(ParsePredictionInput, RefusesBodiesOfTheWrongShape) {
  EXPECT_TRUE(std::get<http::InputProblem>(ParsePredictionInput("{\"features\":", Meta())).malformed);
  EXPECT_TRUE(std::get<http::InputProblem>(ParsePredictionInput("nope", Meta())).malformed);
  EXPECT_EQ(Fields(ParsePredictionInput("[1]", Meta())),
            std::vector<std::string>{"body: must be a JSON object with \"features\" or \"instances\""});
  EXPECT_EQ(Fields(ParsePredictionInput("{}", Meta())),
            std::vector<std::string>{"body: must have exactly one of \"features\" or \"instances\""});
  EXPECT_EQ(Fields(ParsePredictionInput(R"({"features": {"area": 200, "year": 1900}, "x": 1})", Meta())),
            std::vector<std::string>{"x: is not accepted here"});
  EXPECT_EQ(Fields(ParsePredictionInput(R"({"instances": []})", Meta())),
            std::vector<std::string>{"instances: must hold 1 to 1000 instances"});
  EXPECT_EQ(Fields(ParsePredictionInput(R"({"instances": {}})", Meta())),
            std::vector<std::string>{"instances: must be an array of feature objects"});
  EXPECT_EQ(Fields(ParsePredictionInput(R"({"features": {"area": 200, "area": 300, "year": 1900}})", Meta())),
            std::vector<std::string>{"features.area: is given more than once"});
  std::string many = R"({"instances": [)";
  for (int i = 0; i <= 1000; ++i) many += std::string(i ? "," : "") + R"({"area": 200, "year": 1900})";
  EXPECT_EQ(Fields(ParsePredictionInput(many + "]}", Meta())),
            std::vector<std::string>{"instances: must hold 1 to 1000 instances"});
}

TEST(ParsePredictionInput, SharesTheRulesOfEveryJsonBody) {
  auto overflow = std::get<http::InputProblem>(
      ParsePredictionInput(R"({"features":{"area":1e400,"year":2000}})", Meta()));
  ASSERT_FALSE(overflow.malformed);
  ASSERT_EQ(overflow.errors.size(), 1U);
  EXPECT_EQ(overflow.errors[0].pointer, "/features/area");
  EXPECT_EQ(overflow.ToResponse().status, 422);
  auto twice = std::get<http::InputProblem>(ParsePredictionInput(
      R"({"features":{"area":500,"year":2000},"features":{"area":900,"year":2000}})", Meta()));
  ASSERT_EQ(twice.errors.size(), 1U);
  EXPECT_EQ(twice.errors[0].pointer, "/features");
  EXPECT_EQ(twice.errors[0].message, "is given more than once");
  auto bad =
      std::get<http::InputProblem>(ParsePredictionInput(R"({"instances":[{"area":1,"year":2000}]})", Meta()));
  EXPECT_EQ(bad.errors.at(0).pointer, "/instances/0/area");
}

}  // namespace
}  // namespace keel::ml
