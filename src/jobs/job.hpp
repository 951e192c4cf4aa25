// The job vocabulary shared by the queue, the workers and the HTTP routes: states, enqueue requests, records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace keel::jobs {

// available: ready now; scheduled: waiting for run_at; running: leased by a worker; retryable: failed and
// waiting for its back-off; completed, discarded (out of attempts) and cancelled are final.
enum class JobState { kAvailable, kScheduled, kRunning, kRetryable, kCompleted, kDiscarded, kCancelled };

std::string_view JobStateName(JobState state);
std::optional<JobState> ParseJobState(std::string_view name);
bool IsFinal(JobState state);

struct JobRequest {
  std::string kind;
  nlohmann::json args = nlohmann::json::object();
  std::string queue;           // empty: the kind's queue
  int priority = 0;            // higher runs first
  std::int64_t run_at_ms = 0;  // Unix ms; 0 or past: now
  int max_attempts = 0;        // 0: the kind's
  std::string unique_key;      // non-empty: at most one live job with this key
  std::string owner_id;        // the user it works for; they may read it
};

struct Enqueued {
  std::int64_t id = 0;
  bool created = true;  // false: a live job with the same unique key already existed, and this is it
};

// A job row as the API shows it.
struct JobRecord {
  std::int64_t id = 0;
  std::string kind;
  std::string queue;
  std::string args;  // JSON
  std::int64_t priority = 0;
  std::string state;
  std::int64_t run_at = 0;
  std::int64_t attempt = 0;
  std::int64_t max_attempts = 0;
  std::optional<std::string> lease_owner;
  std::optional<std::int64_t> lease_expires_at;
  std::int64_t progress = 0;
  std::string progress_message;
  std::optional<std::string> result;  // JSON
  std::string errors;                 // JSON array
  std::optional<std::string> unique_key;
  std::optional<std::string> owner_id;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::int64_t updated_at = 0;
};

nlohmann::json JobJson(const JobRecord& job);

// A job a worker has leased: what its handler needs, and the fencing token every later write must present.
struct ClaimedJob {
  std::int64_t id = 0;
  std::string kind;
  std::string queue;
  std::string args;  // JSON
  std::int64_t priority = 0;
  std::int64_t attempt = 0;
  std::int64_t max_attempts = 0;
  std::int64_t lease_token = 0;
  std::int64_t created_at = 0;
  std::int64_t run_at = 0;
  std::int64_t started_at = 0;
};

}  // namespace keel::jobs
