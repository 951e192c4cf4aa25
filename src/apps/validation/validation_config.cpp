#include "apps/validation/validation_config.hpp"

#include "core/config_keys.hpp"

namespace keel::validation {

ConfigSchema ConfigKeys() {
  using schema::Int;
  return {
      Int("apps.ingest_key_grace_s", 86400, 0, 30LL * 86400,
          "Seconds a rotated ingest key keeps working beside the new one (POST "
          "/api/v1/apps/{id}/ingest-keys)."),
      Int("apps.retention_days", 30, 1, 3650,
          "Days event logs are kept before the retention job prunes them."),
      Int("apps.ingest_per_minute", 600000, 1, 1000000000,
          "POST /api/v1/logs requests per app per minute (a batch is one request), when rate limits are on."),
      Int("apps.ingest_burst", 20000, 1, 1000000000,
          "POST /api/v1/logs requests per app allowed back to back."),
      Int("apps.live_events_per_second", 100, 0, 100000,
          "Events per app and instance shown each second on GET /api/v1/apps/{id}/live; the rest are only "
          "counted."),
  };
}

ValidationOptions ValidationOptions::Read(const Config& config) {
  ValidationOptions options;
  options.ingest_key_grace = std::chrono::seconds(config.Int("apps.ingest_key_grace_s"));
  options.retention_days = config.Int("apps.retention_days");
  options.ingest_per_minute = config.Int("apps.ingest_per_minute");
  options.ingest_burst = config.Int("apps.ingest_burst");
  options.live_events_per_second = config.Int("apps.live_events_per_second");
  return options;
}

}  // namespace keel::validation
