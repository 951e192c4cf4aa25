// The jobs.* keys with their defaults, bounds and documentation.
#include "jobs/jobs_config.hpp"

#include "core/config_keys.hpp"

namespace keel::jobs {

ConfigSchema ConfigKeys() {
  using namespace schema;
  return {
      Bool("jobs.workers", true,
           "keel serve also runs job workers and the scheduler in-process (embedded mode). Turn off when "
           "separate `keel worker` processes do the work."),
      List("jobs.queues",
           {"default:1-4", "priority:1-2", "batch_processing:0-4", "model_generation:0-8", "maintenance:0-2",
            "training:0-2"},
           "Queues this process works, as name:min-max worker threads (or name:max). Threads grow with the "
           "queue's depth up to max and shrink to min when idle."),
      Int("jobs.poll_interval_ms", 200, 10, 60000,
          "How often idle workers look for jobs enqueued by other processes, and for scheduled jobs come "
          "due. "
          "This process's own enqueues wake them at once; on PostgreSQL with database.direct_url, so do "
          "other processes' (LISTEN/NOTIFY)."),
      Int("jobs.lease_ms", 30000, 1000, 3600000,
          "A running job's lease: renewed by heartbeats; when it lapses (worker died) the job runs again."),
      Int("jobs.heartbeat_ms", 1000, 100, 600000,
          "Lease renewal period; also how soon a running job notices cancellation or its timeout."),
      Int("jobs.rescue_interval_ms", 1000, 100, 600000, "How often expired leases are looked for."),
      Int("jobs.idle_worker_timeout_ms", 10000, 100, 3600000,
          "An idle worker thread above min exits after this."),
      Bool("jobs.scheduler", true, "Compete for the scheduler lease and fire periodic (cron) jobs."),
      Int("jobs.ops_port", 0, 0, 65535,
          "keel worker only: serve /health, /ready and /metrics on this port of server.host, for probes and "
          "Prometheus (the job and queue-depth metrics); 0: no HTTP at all."),
      Int("jobs.drain_timeout_ms", 30000, 0, 3600000,
          "At shutdown, running jobs get this long to finish; then their leases are released for others."),
      Int("jobs.retention_hours", 168, 1, 87600, "Finished jobs older than this are pruned (maintenance)."),
  };
}

JobsOptions JobsOptions::Read(const Config& c) {
  JobsOptions options;
  options.workers = c.Bool("jobs.workers");
  options.queues = c.List("jobs.queues");
  options.poll_interval = std::chrono::milliseconds(c.Int("jobs.poll_interval_ms"));
  options.lease = std::chrono::milliseconds(c.Int("jobs.lease_ms"));
  options.heartbeat = std::chrono::milliseconds(c.Int("jobs.heartbeat_ms"));
  options.rescue_interval = std::chrono::milliseconds(c.Int("jobs.rescue_interval_ms"));
  options.idle_worker_timeout = std::chrono::milliseconds(c.Int("jobs.idle_worker_timeout_ms"));
  options.scheduler = c.Bool("jobs.scheduler");
  options.ops_port = static_cast<int>(c.Int("jobs.ops_port"));
  options.drain_timeout = std::chrono::milliseconds(c.Int("jobs.drain_timeout_ms"));
  options.retention = std::chrono::hours(c.Int("jobs.retention_hours"));
  return options;
}

}  // namespace keel::jobs
