// Event-log bodies (POST /api/v1/logs): the envelope read with simdjson, then every event checked against a
// compiled rules version, as ingestion does. Accepted events keep their pointer; every verdict's violations
// are placed from the event's root.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "apps/validation/event_batch.hpp"
#include "apps/validation/rule_set.hpp"

namespace {

const keel::validation::RuleSet& Rules() {
  static const auto* rules = new keel::validation::RuleSet(
      std::get<keel::validation::RuleSet>(keel::validation::RuleSet::Compile(nlohmann::json::parse(R"({
        "events": {
          "signup": {"type": "object", "required": ["plan"], "additionalProperties": false,
                     "properties": {"plan": {"enum": ["free", "pro"]}, "email": {"format": "email"},
                                    "seats": {"type": "integer", "minimum": 1, "multipleOf": 1},
                                    "tags": {"items": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8}}}},
          "purchase": {"properties": {"amount": {"exclusiveMinimum": 0}, "at": {"format": "date-time"},
                                      "id": {"format": "uuid"}, "ip": {"format": "ipv4"},
                                      "items": {"items": [{"const": 1}, {"type": ["string", "null"]}]}}}
        },
        "unplanned": "flag"
      })"))));
  return *rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static simdjson::dom::parser parser;
  auto parsed =
      keel::validation::ParseEventBatch(parser, std::string_view(reinterpret_cast<const char*>(data), size));
  if (auto* batch = std::get_if<keel::validation::EventBatch>(&parsed)) {
    if (batch->events.empty() || batch->events.size() > keel::validation::kMaxEvents) __builtin_trap();
    for (const auto& event : batch->events) {
      auto verdict = Rules().Check(event);
      if (verdict.valid != verdict.violations.empty()) __builtin_trap();
      for (const auto& violation : verdict.violations)
        if (violation.path.empty() || violation.path[0] != '/') __builtin_trap();
    }
  } else {
    (void)std::get<keel::http::InputProblem>(parsed).ToResponse();
  }
  return 0;
}
