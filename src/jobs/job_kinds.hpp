// The job kinds a process knows: handler, queue, retry policy and timeout per kind, and the periodic jobs.
// Modules register them while the App is built; after that the registry is read-only.
//
// Thread safety: Add/AddPeriodic before the runtime starts; lookups are then safe from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "jobs/backoff.hpp"
#include "jobs/cron.hpp"

namespace keel::jobs {

class JobContext;

// Runs one attempt on a worker thread; may block. The JSON is stored as the job's result. Handlers must be
// idempotent: a job runs at least once, and more than once when a worker dies mid-way.
using JobHandler = std::function<Result<nlohmann::json>(JobContext&)>;

struct JobKind {
  // A kind with defaults for everything but its name, handler and queue.
  static JobKind Make(std::string name, std::string queue, JobHandler handler) {
    JobKind kind;
    kind.name = std::move(name);
    kind.queue = std::move(queue);
    kind.handler = std::move(handler);
    return kind;
  }

  std::string name;
  std::string queue = "default";
  int max_attempts = 5;
  BackoffPolicy backoff;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  JobHandler handler;
};

struct PeriodicJob {
  std::string kind;
  CronSchedule schedule;
  nlohmann::json args = nlohmann::json::object();
};

class JobKinds {
 public:
  void Add(JobKind kind);
  // REQUIRES: the kind was added.
  void AddPeriodic(PeriodicJob periodic);

  const JobKind* Find(std::string_view name) const;
  const std::vector<PeriodicJob>& periodic() const { return periodic_; }
  std::vector<std::string> Queues() const;

 private:
  std::map<std::string, JobKind, std::less<>> kinds_;
  std::vector<PeriodicJob> periodic_;
};

}  // namespace keel::jobs
