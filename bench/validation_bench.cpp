// The validation dashboard's ingestion core on one core: a batch body parsed (simdjson) and every event
// checked against its app's compiled rules, without the HTTP stack or storage. The issue's target is
// 100,000 validated events/s for a whole instance; this says how much of one core the checking takes.
// Run: cmake --build --preset release --target validation_bench && build/release/validation_bench
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "apps/validation/event_batch.hpp"
#include "apps/validation/rule_set.hpp"

namespace {

using keel::validation::EventBatch;
using keel::validation::ParseEventBatch;
using keel::validation::RuleSet;

constexpr const char* kRules = R"({
  "events": {
    "signup": {"type": "object", "required": ["plan", "email"], "additionalProperties": false,
               "properties": {"plan": {"enum": ["free", "pro", "team"]}, "email": {"type": "string", "format": "email"},
                              "seats": {"type": "integer", "minimum": 1, "maximum": 500},
                              "referrer": {"type": "string", "maxLength": 200}}},
    "purchase": {"required": ["amount", "currency"],
                 "properties": {"amount": {"type": "number", "exclusiveMinimum": 0},
                                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                "items": {"type": "array", "maxItems": 50, "items": {"type": "string"}}}},
    "pageview": {"properties": {"path": {"type": "string", "minLength": 1}, "ms": {"type": "integer"}}}
  },
  "unplanned": "flag"
})";

// `size` events, one in ten invalid, one in twenty unplanned.
std::string Body(int size) {
  std::string body = R"({"events": [)";
  for (int i = 0; i < size; ++i) {
    if (i > 0) body += ',';
    switch (i % 4) {
      case 0:
        body += R"({"event": "signup", "user_id": "u)" + std::to_string(i) +
                R"(", "timestamp": "2026-12-02T10:00:00.123Z", "properties": {"plan": ")" +
                (i % 10 == 0 ? std::string("gold") : std::string("pro")) +
                R"(", "email": "user@example.com", "seats": 12, "referrer": "https://example.com/pricing"}})";
        break;
      case 1:
        body +=
            R"({"event": "purchase", "properties": {"amount": 49.5, "currency": "EUR", "items": ["a", "b", "c"]}})";
        break;
      case 2:
        body += R"({"event": "pageview", "properties": {"path": "/docs/getting-started", "ms": 312}})";
        break;
      default:
        body += i % 20 == 3 ? R"({"event": "clicked", "properties": {"x": 1}})"
                            : R"({"event": "pageview", "properties": {"path": "/", "ms": 85}})";
    }
  }
  return body + "]}";
}

void ParseAndCheck(benchmark::State& state) {
  auto compiled = RuleSet::Compile(nlohmann::json::parse(kRules));
  const RuleSet& rules = std::get<RuleSet>(compiled);
  const int size = static_cast<int>(state.range(0));
  const std::string body = Body(size);
  simdjson::dom::parser parser;
  std::int64_t invalid = 0;
  for (auto _ : state) {
    auto parsed = ParseEventBatch(parser, body);
    for (const auto& event : std::get<EventBatch>(parsed).events) invalid += !rules.Check(event).valid;
  }
  benchmark::DoNotOptimize(invalid);
  state.SetItemsProcessed(state.iterations() * size);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(ParseAndCheck)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
