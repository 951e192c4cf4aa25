// The apps.* keys of the Live Validation Dashboard (the validation module).
#pragma once

#include <chrono>
#include <cstdint>

#include "core/config.hpp"

namespace keel::validation {

// The apps.* keys, in documentation order.
ConfigSchema ConfigKeys();

struct ValidationOptions {
  // How long a rotated ingest key keeps working beside its replacement, so senders can switch over.
  std::chrono::seconds ingest_key_grace{86400};
  // How long event logs are kept (the retention job prunes older ones).
  std::int64_t retention_days = 30;
  // Each app's ingestion limit (POST /api/v1/logs requests): per minute, and back to back.
  std::int64_t ingest_per_minute = 600'000;
  std::int64_t ingest_burst = 20'000;
  // Events per app and instance shown each second on the live view; the rest are counted, not shown.
  std::int64_t live_events_per_second = 100;

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static ValidationOptions Read(const Config& config);
};

}  // namespace keel::validation
