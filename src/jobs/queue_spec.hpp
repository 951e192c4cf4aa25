// Parses the jobs.queues entries ("name:min-max", "name:max" or "name") into per-queue worker bounds.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "jobs/job_runtime.hpp"

namespace keel::jobs {

// kInvalidArgument naming the entry for a bad name, bounds out of 0..256, min > max, max 0 or a repeat.
// A bare name gets 1-4 workers.
Result<std::vector<QueueOptions>> ParseQueueSpecs(const std::vector<std::string>& specs);

}  // namespace keel::jobs
