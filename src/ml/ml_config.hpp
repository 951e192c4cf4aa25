// The ml section: the model registry, batching, the prediction cache and the prediction log.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace keel::ml {

// The ml.* keys, in documentation order.
ConfigSchema ConfigKeys();

// The ml section, read once at start.
struct MlOptions {
  std::string model_dir;
  std::vector<std::string> models;  // eager: "name" or "name@version"
  bool serve_registry = true;
  std::size_t max_loaded_models = 1000;
  std::chrono::milliseconds reload_poll{2000};
  std::size_t max_batch = 64;
  std::chrono::microseconds max_delay{500};
  std::vector<std::string> batching;  // "name:max_batch:max_delay_us"
  bool cache_enabled = true;
  std::chrono::seconds cache_ttl{3600};
  std::size_t cache_max_bytes = 64 << 20;
  bool log_enabled = true;
  std::size_t log_queue_limit = 100000;
  std::size_t log_batch_rows = 1000;
  std::chrono::milliseconds log_flush{100};
  std::chrono::hours log_retention{720};
  std::chrono::milliseconds traffic_poll{250};
  std::size_t shadow_queue_rows = 10000;

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static MlOptions Read(const Config& config);
};

}  // namespace keel::ml
