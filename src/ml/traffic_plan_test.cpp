// TrafficPlan: what a plan's body may say, and how versions are picked: weighted, sticky, stable.
#include "ml/traffic_plan.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

namespace keel::ml {
namespace {

TrafficPlan Parsed(const char* body) {
  auto parsed = TrafficPlan::Parse(nlohmann::json::parse(body));
  auto* plan = std::get_if<TrafficPlan>(&parsed);
  EXPECT_NE(plan, nullptr) << body;
  return plan ? *plan : TrafficPlan{};
}

std::vector<std::string> Problems(const char* body) {
  auto parsed = TrafficPlan::Parse(nlohmann::json::parse(body));
  std::vector<std::string> fields;
  if (auto* errors = std::get_if<std::vector<http::FieldError>>(&parsed))
    for (const auto& error : *errors) fields.push_back(error.field + ": " + error.message);
  return fields;
}

TEST(TrafficPlan, ReadsVersionsStickinessAndShadowsAndWritesThemBack) {
  auto plan = Parsed(R"({"versions": {"v1": 90, "v2": 10}, "sticky": "header:X-User-Id", "shadow": ["v3"]})");
  ASSERT_EQ(plan.shares.size(), 2u);
  EXPECT_EQ(plan.shares[0].version, "v1");
  EXPECT_EQ(plan.shares[0].weight, 90);
  EXPECT_EQ(plan.sticky_header, "X-User-Id");
  EXPECT_EQ(plan.shadow, std::vector<std::string>{"v3"});
  EXPECT_EQ(plan.TotalWeight(), 100);
  EXPECT_EQ(plan.ToJson(),
            nlohmann::json::parse(
                R"({"versions": {"v1": 90, "v2": 10}, "sticky": "header:X-User-Id", "shadow": ["v3"]})"));
  auto plain = Parsed(R"({"versions": {"v1": 1}})");
  EXPECT_TRUE(plain.sticky_header.empty());
  EXPECT_EQ(plain.ToJson()["sticky"], "none");
}

TEST(TrafficPlan, RefusesWhatCannotBeAPlanNamingEachField) {
  EXPECT_EQ(Problems(R"({})").size(), 1u);
  EXPECT_EQ(Problems(R"([1])").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {}})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 0}})").size(), 1u) << "no weight above 0";
  EXPECT_EQ(Problems(R"({"versions": {"v1": -1}})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1.5}})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": "90"}})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1000001}})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"../etc": 1}})").size(), 1u) << "a version is a directory name";
  EXPECT_EQ(Problems(R"({"versions": {".hidden": 1}})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "sticky": "cookie:id"})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "sticky": "header:"})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "sticky": "header:X User"})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "sticky": true})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "shadow": "v2"})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "shadow": ["v1"]})").size(), 1u) << "served or shadowed";
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "shadow": ["v2", "v2"]})").size(), 1u);
  EXPECT_EQ(Problems(R"({"versions": {"v1": 1}, "weights": {}})").size(), 1u) << "an unknown member";
  auto several = Problems(R"({"versions": {"v1": -1, "v2": "x"}, "sticky": 3, "shadow": [4]})");
  EXPECT_EQ(several.size(), 4u) << "each problem once";
  nlohmann::json many = {{"versions", nlohmann::json::object()}};
  for (int i = 0; i < 17; ++i) many["versions"][fmt::format("v{}", i)] = 1;
  EXPECT_EQ(Problems(many.dump().c_str()).size(), 1u) << "at most 16 versions";
}

TEST(TrafficPlan, RandomDrawsFollowTheWeightsWithinAPercent) {
  auto plan = Parsed(R"({"versions": {"a": 70, "b": 20, "c": 10}})");
  std::mt19937_64 random(42);
  std::map<std::string, int> seen;
  const int draws = 100000;
  for (int i = 0; i < draws; ++i) ++seen[plan.shares[plan.Pick("m", std::nullopt, random())].version];
  EXPECT_NEAR(seen["a"] / double(draws), 0.70, 0.01);
  EXPECT_NEAR(seen["b"] / double(draws), 0.20, 0.01);
  EXPECT_NEAR(seen["c"] / double(draws), 0.10, 0.01);
}

TEST(TrafficPlan, AZeroWeightVersionIsNeverPicked) {
  auto plan = Parsed(R"({"versions": {"a": 0, "b": 5}})");
  std::mt19937_64 random(7);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(plan.Pick("m", std::nullopt, random()), 1u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(plan.Pick("m", std::to_string(i), 0), 1u);
}

TEST(TrafficPlan, ASubjectAlwaysLandsOnOneVersionAndSubjectsSpreadByWeight) {
  auto plan = Parsed(R"({"versions": {"a": 90, "b": 10}, "sticky": "header:X-User-Id"})");
  std::map<std::size_t, int> seen;
  const int subjects = 20000;
  for (int i = 0; i < subjects; ++i) {
    std::string user = "user-" + std::to_string(i);
    std::size_t first = plan.Pick("property", user, 1);
    EXPECT_EQ(plan.Pick("property", user, 2), first) << "the draw plays no part when there is a subject";
    ++seen[first];
  }
  EXPECT_NEAR(seen[1] / double(subjects), 0.10, 0.01);
  // Another model's plan assigns the same users independently.
  int both_b = 0;
  for (int i = 0; i < subjects; ++i) {
    std::string user = "user-" + std::to_string(i);
    if (plan.Pick("property", user, 0) == 1 && plan.Pick("churn", user, 0) == 1) ++both_b;
  }
  EXPECT_NEAR(both_b / double(subjects), 0.01, 0.005);
}

// The share of 10,000 subjects that move from version `from` ("*": any) to `to` between two plans; fails on
// any other move.
double Moved(const char* before_body, const char* after_body, const std::string& from,
             const std::string& to) {
  auto before = Parsed(before_body), after = Parsed(after_body);
  int moved = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string user = "user-" + std::to_string(i);
    const std::string& was = before.shares[before.Pick("m", user, 0)].version;
    const std::string& is = after.shares[after.Pick("m", user, 0)].version;
    if (was == is) continue;
    EXPECT_EQ(is, to) << user << " moved from " << was;
    if (from != "*") {
      EXPECT_EQ(was, from) << user << " moved to " << is;
    }
    ++moved;
  }
  return moved / 10000.0;
}

TEST(TrafficPlan, RaisingAWeightMovesSubjectsOnlyToTheVersionThatGrew) {
  // The total stays, or changes: either way b's users stay, and a's move to b as b's share grows.
  EXPECT_NEAR(Moved(R"({"versions": {"a": 90, "b": 10}})", R"({"versions": {"a": 80, "b": 20}})", "a", "b"),
              0.10, 0.015);
  EXPECT_NEAR(Moved(R"({"versions": {"a": 90, "b": 10}})", R"({"versions": {"a": 90, "b": 20}})", "a", "b"),
              20.0 / 110 - 0.10, 0.015);
  // Promoting b: everyone ends on b.
  EXPECT_NEAR(Moved(R"({"versions": {"a": 90, "b": 10}})", R"({"versions": {"a": 0, "b": 100}})", "a", "b"),
              0.90, 0.015);
}

TEST(TrafficPlan, AddingAVersionMovesSubjectsOnlyToIt) {
  // "0-new" sorts before the others: the order of versions plays no part.
  EXPECT_NEAR(Moved(R"({"versions": {"a": 50, "b": 50}})", R"({"versions": {"a": 50, "b": 50, "0-new": 10}})",
                    "*", "0-new"),
              10.0 / 110, 0.015);
}

}  // namespace
}  // namespace keel::ml
