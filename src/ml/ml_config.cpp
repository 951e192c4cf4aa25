// The ml.* keys with their defaults, bounds and documentation.
#include "ml/ml_config.hpp"

#include "core/config_keys.hpp"

namespace keel::ml {

ConfigSchema ConfigKeys() {
  using namespace schema;
  return {
      String(
          "ml.model_dir", "./models",
          "The model registry: <model_dir>/<name>/<version>/{model.json, meta.json}, written by keel train."),
      List("ml.models", {"property"},
           "Models `keel serve` loads at start and keeps loaded (eager): \"name\" serves the newest valid "
           "version, \"name@version\" pins one. /ready is 503 until every one is loaded."),
      Bool("ml.serve_registry", true,
           "Also serve any other model of the registry, loaded on first use (on-demand models predict on the "
           "request's thread, without batching)."),
      Int("ml.max_loaded_models", 1000, 1, 1000000,
          "On-demand models kept loaded; beyond it the least recently used is unloaded (its next use loads "
          "it "
          "again). Eager models (ml.models) do not count."),
      Int("ml.reload_poll_ms", 2000, 0, 3600000,
          "How often the registry's change feed (<model_dir>/changes.log, appended by keel train) and the "
          "eager "
          "models' directories are checked for new versions (0: only at start and on POST "
          "/api/v1/admin/models/{name}/reload)."),
      Int("ml.max_batch", 64, 1, 4096,
          "Dynamic batching: most rows one predict call takes from concurrent requests; 1 turns batching off "
          "(each request predicts on its own IO thread)."),
      Int("ml.max_delay_us", 500, 0, 1000000,
          "Dynamic batching: longest a request waits for its batch to fill."),
      List("ml.batching", {}, "Per-model batching overrides, \"name:max_batch:max_delay_us\"."),
      Bool("ml.cache_enabled", true,
           "Cache predictions by model, version and canonical features (X-Cache: HIT|MISS)."),
      Int("ml.cache_ttl_s", 3600, 1, 30LL * 86400, "How long a cached prediction is served."),
      Int("ml.cache_max_bytes", 64LL << 20, 1024, 1LL << 40,
          "Byte budget of the prediction cache (keys, values and per-entry overhead); least recently used "
          "entries go first."),
      Bool("ml.log_enabled", true, "Record every served prediction in the prediction_logs table."),
      Int("ml.log_queue_limit", 100000, 1, 10000000,
          "Predictions waiting to be logged; beyond it they are dropped and counted "
          "(keel_prediction_log_dropped_total)."),
      Int("ml.log_batch_rows", 1000, 1, 4000, "Most rows in one prediction-log transaction."),
      Int("ml.log_flush_ms", 100, 1, 60000, "Longest a prediction waits before its batch is written."),
      Int("ml.log_retention_hours", 720, 1, 24LL * 3650,
          "Prediction-log rows older than this are pruned hourly."),
      Int("ml.traffic_poll_ms", 250, 10, 60000,
          "How often each instance reads the traffic plans (POST /api/v1/admin/models/{name}/traffic) from "
          "the "
          "database, in case a change's pub/sub announcement was lost: the longest a change takes to reach "
          "every instance."),
      Int("ml.shadow_queue_rows", 10000, 1, 10000000,
          "Rows waiting for the shadow versions of traffic plans; beyond it they are not shadowed, and "
          "counted "
          "(keel_model_shadow_dropped_total)."),
  };
}

MlOptions MlOptions::Read(const Config& c) {
  MlOptions options;
  options.model_dir = c.String("ml.model_dir");
  options.models = c.List("ml.models");
  options.serve_registry = c.Bool("ml.serve_registry");
  options.max_loaded_models = static_cast<std::size_t>(c.Int("ml.max_loaded_models"));
  options.reload_poll = std::chrono::milliseconds(c.Int("ml.reload_poll_ms"));
  options.max_batch = static_cast<std::size_t>(c.Int("ml.max_batch"));
  options.max_delay = std::chrono::microseconds(c.Int("ml.max_delay_us"));
  options.batching = c.List("ml.batching");
  options.cache_enabled = c.Bool("ml.cache_enabled");
  options.cache_ttl = std::chrono::seconds(c.Int("ml.cache_ttl_s"));
  options.cache_max_bytes = static_cast<std::size_t>(c.Int("ml.cache_max_bytes"));
  options.log_enabled = c.Bool("ml.log_enabled");
  options.log_queue_limit = static_cast<std::size_t>(c.Int("ml.log_queue_limit"));
  options.log_batch_rows = static_cast<std::size_t>(c.Int("ml.log_batch_rows"));
  options.log_flush = std::chrono::milliseconds(c.Int("ml.log_flush_ms"));
  options.log_retention = std::chrono::hours(c.Int("ml.log_retention_hours"));
  options.traffic_poll = std::chrono::milliseconds(c.Int("ml.traffic_poll_ms"));
  options.shadow_queue_rows = static_cast<std::size_t>(c.Int("ml.shadow_queue_rows"));
  return options;
}

}  // namespace keel::ml
