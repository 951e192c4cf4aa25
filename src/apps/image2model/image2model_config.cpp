#include "apps/image2model/image2model_config.hpp"

#include "core/config_keys.hpp"

namespace keel::image2model {

ConfigSchema ConfigKeys() {
  using schema::Int;
  using schema::List;
  using schema::String;
  return {
      Int("image2model.max_file_mb", 20, 1, 4096,
          "Largest image accepted, in MiB; a bigger file is refused in the upload's answer and nothing of it "
          "is "
          "kept."),
      Int("image2model.max_pixels", 40000000, 1, 1000000000,
          "Most pixels an image may have (width x height, read from its header before decoding)."),
      Int("image2model.max_files_per_batch", 20, 1, 1000, "Most files in one batch (more: 413)."),
      Int("image2model.daily_upload_mb", 2048, 1, 1 << 30,
          "MiB of images each user may upload per UTC day (more: 429 until midnight)."),
      Int("image2model.result_ttl_hours", 72, 1, 24 * 365,
          "Hours generated models stay downloadable (then 410, and the maintenance job removes them)."),
      String("image2model.default_quality", "standard",
             "The local generator's triangle budget when an upload names none: draft, standard or high.",
             schema::OneOf({"draft", "standard", "high"})),
      Int("image2model.generation_attempts", 3, 1, 20,
          "Attempts per file before it is marked failed (a worker that dies mid-way costs one)."),
      List("image2model.webhook_allow", {},
           "Webhook targets allowed although loopback, private or link-local (addresses or CIDRs, e.g. "
           "127.0.0.1/32); every other such target is refused."),
      String("image2model.remote_base_url", "",
             "The remote generator's queue API (FAL's shape), e.g. https://queue.fal.run. Empty: "
             "generator=remote "
             "is refused and every batch uses the built-in generator."),
      String("image2model.remote_model", "fal-ai/triposr",
             "The remote model's path under image2model.remote_base_url."),
      String("image2model.remote_key_env", "FAL_KEY",
             "The environment variable holding the remote service's key (sent as Authorization: Key ...)."),
      Int("image2model.remote_poll_ms", 1000, 10, 60000,
          "How often a running remote generation's status is read."),
      Int("image2model.remote_deadline_s", 900, 1, 86400,
          "Seconds a remote generation may take from submission before the file fails."),
      Int("image2model.remote_max_in_flight", 30, 1, 1000,
          "Requests in flight to the remote service at once; beyond it generation jobs wait in their queue."),
      Int("image2model.remote_connect_timeout_ms", 10000, 10, 600000,
          "Connect timeout to the remote service."),
      Int("image2model.remote_read_timeout_ms", 60000, 100, 3600000,
          "Longest silence while reading an answer from the remote service."),
      Int("image2model.remote_total_timeout_ms", 300000, 100, 3600000,
          "Longest single request to the remote service (a model download included)."),
      Int("image2model.remote_breaker_failures", 5, 1, 1000,
          "Failures in a row (5xx, 429, timeouts) that open the remote service's circuit breaker; while it "
          "is "
          "open, generation jobs wait without spending attempts."),
      Int("image2model.remote_breaker_open_ms", 30000, 10, 3600000,
          "How long the breaker stays open before one trial request."),
      Int("image2model.debug_stage_delay_ms", 0, 0, 60000,
          "Testing only: the local generator pauses this long at each stage, so tests can watch or interrupt "
          "a "
          "generation. Leave at 0."),
  };
}

Image2ModelOptions Image2ModelOptions::Read(const Config& config) {
  Image2ModelOptions options;
  options.max_file_bytes = static_cast<std::uint64_t>(config.Int("image2model.max_file_mb")) << 20;
  options.max_pixels = static_cast<std::uint64_t>(config.Int("image2model.max_pixels"));
  options.max_files_per_batch = config.Int("image2model.max_files_per_batch");
  options.daily_upload_bytes = static_cast<std::uint64_t>(config.Int("image2model.daily_upload_mb")) << 20;
  options.result_ttl = std::chrono::hours(config.Int("image2model.result_ttl_hours"));
  options.default_quality =
      ParseQuality(config.String("image2model.default_quality")).value_or(Quality::kStandard);
  options.generation_attempts = static_cast<int>(config.Int("image2model.generation_attempts"));
  options.webhook_allow = config.List("image2model.webhook_allow");
  options.debug_stage_delay = std::chrono::milliseconds(config.Int("image2model.debug_stage_delay_ms"));
  options.remote_configured = !config.String("image2model.remote_base_url").empty();
  return options;
}

}  // namespace keel::image2model
