// Rules versions: compiling a PUT /rules body and the verdicts events get.
#include "apps/validation/rule_set.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace keel::validation {
namespace {

RuleSet Rules(const char* body) {
  auto compiled = RuleSet::Compile(nlohmann::json::parse(body));
  if (auto* errors = std::get_if<std::vector<http::FieldError>>(&compiled))
    ADD_FAILURE() << errors->front().field << ": " << errors->front().message;
  return std::get<RuleSet>(std::move(compiled));
}

EventBatch Batch(simdjson::dom::parser& parser, const std::string& body) {
  auto parsed = ParseEventBatch(parser, body);
  if (auto* problem = std::get_if<http::InputProblem>(&parsed)) {
    ADD_FAILURE() << problem->malformed.value_or("")
                  << (problem->errors.empty() ? "" : problem->errors[0].field);
    return {};
  }
  return std::get<EventBatch>(std::move(parsed));
}

constexpr const char* kRules = R"({
  "events": {
    "signup": {"type": "object", "required": ["plan"], "properties": {"plan": {"enum": ["free", "pro"]}}},
    "purchase": {"properties": {"amount": {"type": "number", "exclusiveMinimum": 0}}}
  },
  "unplanned": "flag"
})";

TEST(RuleSet, EventsAreCheckedAgainstTheirSchemaWithPathsFromTheEventsRoot) {
  auto rules = Rules(kRules);
  simdjson::dom::parser parser;
  auto batch = Batch(parser, R"({"events": [
    {"event": "signup", "properties": {"plan": "pro"}},
    {"event": "signup", "user_id": "u1", "properties": {"plan": "gold"}},
    {"event": "purchase"},
    {"event": "pageview", "timestamp": "2026-12-02T10:00:00Z"}
  ]})");
  ASSERT_EQ(batch.events.size(), 4u);
  EXPECT_TRUE(rules.Check(batch.events[0]).valid);
  auto gold = rules.Check(batch.events[1]);
  EXPECT_FALSE(gold.valid);
  ASSERT_EQ(gold.violations.size(), 1u);
  EXPECT_EQ(gold.violations[0].path, "/properties/plan");
  EXPECT_EQ(gold.violations[0].rule, "enum");
  EXPECT_TRUE(rules.Check(batch.events[2]).valid);  // no properties: {} breaks nothing here
  auto unplanned = rules.Check(batch.events[3]);
  EXPECT_FALSE(unplanned.valid);
  EXPECT_TRUE(unplanned.unplanned);
  EXPECT_FALSE(unplanned.blocked_by_rules);
  EXPECT_EQ(unplanned.violations[0].rule, "unplanned");
  EXPECT_EQ(batch.events[3].timestamp_ms, 1'796'205'600'000);
  EXPECT_EQ(batch.events[1].user_id, "u1");
}

TEST(RuleSet, UnplannedPolicies) {
  simdjson::dom::parser parser;
  auto batch = Batch(parser, R"({"event": "pageview"})");
  EXPECT_TRUE(Rules(R"({"events": {}})").Check(batch.events[0]).valid);  // allow by default
  auto blocked = Rules(R"({"events": {}, "unplanned": "block"})").Check(batch.events[0]);
  EXPECT_FALSE(blocked.valid);
  EXPECT_TRUE(blocked.blocked_by_rules);
}

TEST(RuleSet, EverySchemaProblemIsReportedWithItsPointerInTheBody) {
  auto compiled = RuleSet::Compile(nlohmann::json::parse(R"({
    "events": {"signup": {"properties": {"plan": {"oneOf": []}}}, "a/b": {"format": "hostname"}},
    "unplanned": "maybe", "version": 3
  })"));
  ASSERT_TRUE(std::holds_alternative<std::vector<http::FieldError>>(compiled));
  std::vector<std::string> pointers;
  for (const auto& error : std::get<std::vector<http::FieldError>>(compiled))
    pointers.push_back(*error.pointer);
  EXPECT_EQ(pointers, (std::vector<std::string>{"/events/a~1b/format", "/events/signup/properties/plan/oneOf",
                                                "/unplanned", "/version"}));
}

TEST(EventBatch, EnvelopeProblemsAre422WithPointersAndStoreNothing) {
  simdjson::dom::parser parser;
  auto parsed = ParseEventBatch(parser, R"({"events": [{"event": "a"}, {"event": "", "timestamp": "yesterday",
                                           "extra": 1, "properties": [1]}, 7, {"properties": {}}]})");
  ASSERT_TRUE(std::holds_alternative<http::InputProblem>(parsed));
  const auto& problem = std::get<http::InputProblem>(parsed);
  EXPECT_FALSE(problem.malformed);
  std::vector<std::string> pointers;
  for (const auto& error : problem.errors) pointers.push_back(*error.pointer);
  EXPECT_EQ(pointers, (std::vector<std::string>{"/events/1/event", "/events/1/timestamp", "/events/1/extra",
                                                "/events/1/properties", "/events/2", "/events/3/event"}));
  EXPECT_TRUE(std::get<http::InputProblem>(ParseEventBatch(parser, "{")).malformed);
  EXPECT_EQ(std::get<http::InputProblem>(ParseEventBatch(parser, R"({"events": []})")).errors[0].field,
            "events");
  std::string many = R"({"events": [)";
  for (int i = 0; i <= 1000; ++i) many += std::string(i ? "," : "") + R"({"event": "e"})";
  EXPECT_EQ(std::get<http::InputProblem>(ParseEventBatch(parser, many + "]}")).errors[0].message,
            "must hold 1 to 1000 events");
  auto twice = std::get<http::InputProblem>(ParseEventBatch(parser, R"({"event": "a", "event": "b"})"));
  EXPECT_EQ(twice.errors[0].message, "is given more than once");
}

}  // namespace
}  // namespace keel::validation
