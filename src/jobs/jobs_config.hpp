// The jobs section: in-process workers, queues, leases, the scheduler and retention.
#pragma once

#include "core/config.hpp"

namespace keel::jobs {

// The jobs.* keys, in documentation order.
ConfigSchema ConfigKeys();

}  // namespace keel::jobs
