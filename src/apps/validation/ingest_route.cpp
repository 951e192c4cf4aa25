// IngestRoute: authenticate the key, parse, check, store, count, answer.
#include "apps/validation/ingest_route.hpp"

#include <nlohmann/json.hpp>

#include "apps/validation/event_batch.hpp"
#include "core/json_text.hpp"
#include "http/problem.hpp"
#include "http/rate_limiter.hpp"

namespace keel::validation {

namespace {

using http::Request;
using http::Response;

Response Unauthenticated(std::string_view detail) {
  Response response = http::Problem(401, detail);
  response.headers.Add("WWW-Authenticate", "Bearer");
  return response;
}

std::string ViolationsJson(const std::vector<Violation>& violations) {
  std::string json = "[";
  for (const Violation& violation : violations) {
    if (json.size() > 1) json += ',';
    json += "{\"path\":";
    AppendJsonString(json, violation.path);
    json += ",\"rule\":";
    AppendJsonString(json, violation.rule);
    json += ",\"message\":";
    AppendJsonString(json, violation.message);
    json += '}';
  }
  json += ']';
  return json;
}

// What the checked batch becomes: the rows of each table, the counts, and the answer's results.
struct CheckedBatch {
  std::vector<StoredEvent> logged;
  std::vector<StoredEvent> failed;
  std::vector<Verdict> verdicts;
  std::vector<bool> blocked;
  std::int64_t invalid = 0;
};

CheckedBatch Check(const IngestTarget& target, const EventBatch& batch, std::int64_t now_ms) {
  CheckedBatch checked;
  checked.verdicts.reserve(batch.events.size());
  checked.blocked.reserve(batch.events.size());
  for (const IncomingEvent& event : batch.events) {
    Verdict verdict = target.rules->Check(event);
    // An unplanned event's policy decides for it (rule_set.hpp); otherwise the app's mode does.
    const bool blocked =
        verdict.blocked_by_rules || (!verdict.valid && target.block_mode && !verdict.unplanned);
    StoredEvent row;
    row.app_id = target.app_id;
    row.event_name = std::string(event.name);
    row.created_ms = now_ms;
    row.event_ms = event.timestamp_ms.value_or(now_ms);
    if (event.user_id) row.user_id = std::string(*event.user_id);
    row.properties = simdjson::minify(event.properties);
    row.valid = verdict.valid;
    if (!verdict.valid) {
      row.violations = ViolationsJson(verdict.violations);
      ++checked.invalid;
    }
    row.rules_version = target.rules_version;
    (blocked ? checked.failed : checked.logged).push_back(std::move(row));
    checked.verdicts.push_back(std::move(verdict));
    checked.blocked.push_back(blocked);
  }
  return checked;
}

std::string AnswerJson(const CheckedBatch& checked) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < checked.verdicts.size(); ++i) {
    const Verdict& verdict = checked.verdicts[i];
    if (verdict.valid) continue;
    nlohmann::ordered_json violations = nlohmann::ordered_json::array();
    for (const Violation& violation : verdict.violations)
      violations.push_back(
          {{"path", violation.path}, {"rule", violation.rule}, {"message", violation.message}});
    results.push_back({{"index", i},
                       {"valid", false},
                       {"blocked", static_cast<bool>(checked.blocked[i])},
                       {"violations", std::move(violations)}});
  }
  nlohmann::ordered_json answer = {{"accepted", checked.logged.size()},
                                   {"invalid", checked.invalid},
                                   {"blocked", checked.failed.size()},
                                   {"results", std::move(results)}};
  return answer.dump();
}

prometheus::Family<prometheus::Counter>& EventsFamily(Metrics& metrics) {
  return prometheus::BuildCounter()
      .Name("keel_validation_events_total")
      .Help("Events ingested, by outcome: stored valid, stored invalid (flagged), or kept aside (blocked).")
      .Register(metrics.registry());
}

}  // namespace

IngestRoute::IngestRoute(IngestTargets& targets, EventWriter& writer, RollupCounters& counters,
                         LiveFeed& live, const Clock& clock, http::RateLimiter* rate_limiter,
                         Metrics& metrics)
    : targets_(targets),
      writer_(writer),
      counters_(counters),
      live_(live),
      clock_(clock),
      rate_limiter_(rate_limiter),
      valid_(EventsFamily(metrics).Add({{"outcome", "valid"}})),
      flagged_(EventsFamily(metrics).Add({{"outcome", "flagged"}})),
      blocked_(EventsFamily(metrics).Add({{"outcome", "blocked"}})) {}

Task<Response> IngestRoute::Ingest(Request& request) {
  auto header = request.headers.Get("Authorization");
  if (!header || header->size() < 8 || !http::EqualsIgnoreCase(header->substr(0, 7), "Bearer "))
    co_return Unauthenticated("send the app's ingest key: Authorization: Bearer lvd_...");
  auto found = co_await targets_.Find(header->substr(7));
  if (!found) {
    if (found.error().code == ErrorCode::kUnauthenticated) co_return Unauthenticated(found.error().message);
    co_return http::ProblemFrom(found.error());
  }
  std::shared_ptr<const IngestTarget> target = std::move(found).value();

  if (rate_limiter_) {
    auto decision = co_await rate_limiter_->Check(kIngestRatePolicy, target->app_id);
    if (decision && !decision->allowed) {
      Response refused = http::Problem(429, "this app's ingestion rate limit is reached");
      http::RateLimiter::AddHeaders(*decision, refused);
      co_return refused;
    }
  }

  // Parsing and checking happen before the next co_await: the events point into this thread's parser.
  thread_local simdjson::dom::parser parser;
  ParsedBatch parsed = ParseEventBatch(parser, request.body);
  if (auto* problem = std::get_if<http::InputProblem>(&parsed)) co_return problem->ToResponse();
  const std::int64_t now_ms = clock_.WallMillis();
  CheckedBatch checked = Check(*target, std::get<EventBatch>(parsed), now_ms);

  auto written = co_await writer_.Write(checked.logged, checked.failed);
  if (!written) co_return http::ProblemFrom(written.error());

  std::vector<CountedEvent> counted;
  std::vector<const StoredEvent*> rows;  // in the batch's order
  counted.reserve(checked.verdicts.size());
  rows.reserve(checked.verdicts.size());
  std::size_t logged = 0;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < checked.verdicts.size(); ++i) {
    const bool blocked = checked.blocked[i];
    const StoredEvent& row = blocked ? checked.failed[failed++] : checked.logged[logged++];
    counted.push_back({row.event_name, !checked.verdicts[i].valid, blocked, &checked.verdicts[i].violations});
    rows.push_back(&row);
  }
  counters_.Add(target->app_id, MinuteOf(now_ms), counted);
  const auto blocked = static_cast<double>(checked.failed.size());
  const auto invalid = static_cast<double>(checked.invalid);
  valid_.Increment(static_cast<double>(checked.verdicts.size()) - invalid);
  flagged_.Increment(invalid - blocked);
  blocked_.Increment(blocked);
  live_.Record(target->app_id, rows, checked.blocked);
  co_return Response::Json(200, AnswerJson(checked));
}

}  // namespace keel::validation
