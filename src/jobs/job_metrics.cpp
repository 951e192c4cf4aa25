// JobMetrics: family registration and the per-label updates.
#include "jobs/job_metrics.hpp"

#include <algorithm>

namespace keel::jobs {
namespace {

const prometheus::Histogram::BucketBoundaries kDurationBuckets{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
                                                               1,      5,     10,    30,   60,   300};
const prometheus::Histogram::BucketBoundaries kDelayBuckets{0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                            0.25,  0.5,   1,     2.5,  5,     10,   60};

prometheus::Family<prometheus::Counter>& Counter(Metrics& metrics, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(metrics.registry());
}

}  // namespace

JobMetrics::JobMetrics(Metrics& metrics)
    : enqueued_(
          Counter(metrics, "keel_jobs_enqueued_total", "Jobs enqueued (not counting unique-key repeats).")),
      completed_(Counter(metrics, "keel_jobs_completed_total", "Jobs that completed.")),
      failed_(Counter(metrics, "keel_jobs_failed_total", "Failed attempts (retried or discarded).")),
      discarded_(Counter(metrics, "keel_jobs_discarded_total", "Jobs discarded after their last attempt.")),
      rescued_(Counter(
          metrics, "keel_jobs_lease_expiries_total",
          "Running jobs whose lease expired (worker died or stalled) and were made available again.")),
      fenced_(Counter(metrics, "keel_jobs_fenced_writes_total",
                      "Writes refused because the worker no longer held the job's lease.")),
      duration_(prometheus::BuildHistogram()
                    .Name("keel_job_duration_seconds")
                    .Help("Time a handler ran, per attempt.")
                    .Register(metrics.registry())),
      start_delay_(prometheus::BuildHistogram()
                       .Name("keel_job_start_delay_seconds")
                       .Help("Time from a job being ready (run_at) to a worker starting it.")
                       .Register(metrics.registry())),
      depth_(prometheus::BuildGauge()
                 .Name("keel_jobs_queue_depth")
                 .Help("Live jobs per queue and state (sampled).")
                 .Register(metrics.registry())),
      oldest_age_(prometheus::BuildGauge()
                      .Name("keel_jobs_oldest_available_age_seconds")
                      .Help("Age of the oldest ready job per queue: the autoscaling signal (sampled).")
                      .Register(metrics.registry())),
      workers_(prometheus::BuildGauge()
                   .Name("keel_job_workers")
                   .Help("Worker threads in this process per queue and state.")
                   .Register(metrics.registry())) {}

void JobMetrics::Enqueued(const std::string& queue, const std::string& kind) {
  enqueued_.Add({{"queue", queue}, {"kind", kind}}).Increment();
}

void JobMetrics::Started(const ClaimedJob& job) {
  double delay = static_cast<double>(std::max<std::int64_t>(0, job.started_at - job.run_at)) / 1000.0;
  start_delay_.Add({{"queue", job.queue}}, kDelayBuckets).Observe(delay);
}

void JobMetrics::Completed(const std::string& queue, const std::string& kind, double seconds) {
  completed_.Add({{"queue", queue}, {"kind", kind}}).Increment();
  duration_.Add({{"queue", queue}, {"kind", kind}}, kDurationBuckets).Observe(seconds);
}

void JobMetrics::Failed(const std::string& queue, const std::string& kind, double seconds, bool discarded) {
  failed_.Add({{"queue", queue}, {"kind", kind}}).Increment();
  if (discarded) discarded_.Add({{"queue", queue}, {"kind", kind}}).Increment();
  duration_.Add({{"queue", queue}, {"kind", kind}}, kDurationBuckets).Observe(seconds);
}

void JobMetrics::Rescued(const std::string& queue, const std::string& kind, bool discarded) {
  rescued_.Add({{"queue", queue}}).Increment();
  if (discarded) discarded_.Add({{"queue", queue}, {"kind", kind}}).Increment();
}

void JobMetrics::Fenced(const std::string& queue) { fenced_.Add({{"queue", queue}}).Increment(); }

void JobMetrics::Workers(const std::string& queue, int busy, int total) {
  workers_.Add({{"queue", queue}, {"state", "busy"}}).Set(busy);
  workers_.Add({{"queue", queue}, {"state", "idle"}}).Set(total - busy);
}

void JobMetrics::Depths(const std::vector<QueueDepth>& depths, std::int64_t now_ms) {
  for (const auto& depth : depths) {
    for (const auto& [state, count] : depth.by_state)
      depth_.Add({{"queue", depth.queue}, {"state", state}}).Set(static_cast<double>(count));
    double age =
        depth.oldest_available_ms
            ? static_cast<double>(std::max<std::int64_t>(0, now_ms - *depth.oldest_available_ms)) / 1000.0
            : 0.0;
    oldest_age_.Add({{"queue", depth.queue}}).Set(age);
  }
}

}  // namespace keel::jobs
