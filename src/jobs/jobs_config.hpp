// The jobs section: in-process workers, queues, leases, the scheduler and retention.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace keel::jobs {

// The jobs.* keys, in documentation order.
ConfigSchema ConfigKeys();

// The jobs section, read once at start.
struct JobsOptions {
  bool workers = true;              // keel serve runs workers in-process
  std::vector<std::string> queues;  // "name:min-max" (queue_spec.hpp)
  std::chrono::milliseconds poll_interval{200};
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds rescue_interval{1000};
  std::chrono::milliseconds idle_worker_timeout{10000};
  bool scheduler = true;
  int ops_port = 0;  // keel worker's /health, /ready, /metrics; 0: none
  std::chrono::milliseconds drain_timeout{30000};
  std::chrono::hours retention{168};

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static JobsOptions Read(const Config& config);
};

}  // namespace keel::jobs
