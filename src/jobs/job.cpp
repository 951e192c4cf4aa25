// Job states by name and the API form of a job record.
#include "jobs/job.hpp"

#include <array>
#include <utility>

#include "core/rfc3339.hpp"

namespace keel::jobs {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 7> kStateNames = {{
    {JobState::kAvailable, "available"},
    {JobState::kScheduled, "scheduled"},
    {JobState::kRunning, "running"},
    {JobState::kRetryable, "retryable"},
    {JobState::kCompleted, "completed"},
    {JobState::kDiscarded, "discarded"},
    {JobState::kCancelled, "cancelled"},
}};

nlohmann::json Time(std::int64_t unix_ms) { return FormatRfc3339(unix_ms); }

template <class T>
nlohmann::json TimeOrNull(const std::optional<T>& unix_ms) {
  return unix_ms ? Time(*unix_ms) : nlohmann::json(nullptr);
}

nlohmann::json ParsedOr(const std::string& text, nlohmann::json fallback) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

}  // namespace

std::string_view JobStateName(JobState state) {
  for (const auto& [value, name] : kStateNames)
    if (value == state) return name;
  return "unknown";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (const auto& [value, state_name] : kStateNames)
    if (state_name == name) return value;
  return std::nullopt;
}

bool IsFinal(JobState state) {
  return state == JobState::kCompleted || state == JobState::kDiscarded || state == JobState::kCancelled;
}

nlohmann::json JobJson(const JobRecord& job) {
  nlohmann::json errors = ParsedOr(job.errors, nlohmann::json::array());
  for (auto& error : errors)
    if (error.contains("at") && error["at"].is_number_integer())
      error["at"] = Time(error["at"].get<std::int64_t>());
  return {
      {"id", job.id},
      {"kind", job.kind},
      {"queue", job.queue},
      {"args", ParsedOr(job.args, nlohmann::json::object())},
      {"priority", job.priority},
      {"state", job.state},
      {"attempt", job.attempt},
      {"max_attempts", job.max_attempts},
      {"progress", {{"percent", job.progress}, {"message", job.progress_message}}},
      {"result", job.result ? ParsedOr(*job.result, nullptr) : nlohmann::json(nullptr)},
      {"errors", errors},
      {"unique_key", job.unique_key ? nlohmann::json(*job.unique_key) : nlohmann::json(nullptr)},
      {"worker", job.lease_owner ? nlohmann::json(*job.lease_owner) : nlohmann::json(nullptr)},
      {"lease_expires_at", TimeOrNull(job.lease_expires_at)},
      {"run_at", Time(job.run_at)},
      {"created_at", Time(job.created_at)},
      {"started_at", TimeOrNull(job.started_at)},
      {"finished_at", TimeOrNull(job.finished_at)},
      {"updated_at", Time(job.updated_at)},
  };
}

}  // namespace keel::jobs
