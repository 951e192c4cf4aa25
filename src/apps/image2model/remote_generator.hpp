// A client for a hosted image-to-3D service with FAL's queue API: submit (POST {base}/{model}, Authorization:
// Key ...) gives a request_id; its status (GET .../requests/{id}/status) is IN_QUEUE with a queue_position,
// IN_PROGRESS or COMPLETED; its result (GET .../requests/{id}) names a GLB file by URL, which is downloaded;
// PUT .../requests/{id}/cancel cancels. Every call goes through the platform's outbound client (pooling,
// timeouts, retries, the cap, the breaker, metrics as provider "remote").
//
// The real service is not reachable from the test machine: tests/e2e runs this against a local double of
// that HTTP API with injected latency, 429s, 500s, hangs and malformed answers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include "core/result.hpp"

#include "http/outbound/http_client.hpp"

namespace keel {
class Config;
class Metrics;
}  // namespace keel

namespace keel::image2model {

struct RemoteOptions {
  std::string base_url;  // e.g. https://queue.fal.run; empty: no remote generator
  std::string model = "fal-ai/triposr";
  std::string key;  // from the environment variable image2model.remote_key_env names
  std::chrono::milliseconds poll{1000};
  std::chrono::seconds deadline{900};  // per file, from submission
  http::HttpClientOptions client;

  static RemoteOptions Read(const Config& config);
};

struct RemoteStatus {
  enum class State { kQueued, kRunning, kCompleted, kFailed } state = State::kQueued;
  std::optional<std::int64_t> queue_position;
  std::string detail;  // why it failed
};

class RemoteGenerator {
 public:
  RemoteGenerator(RemoteOptions options, Metrics& metrics);

  // The request id. The image goes inline as a data URI (the seed's flow uploads to the provider's storage
  // first; a data URI keeps Keel's files private to Keel).
  Result<std::string> Submit(std::string_view image, std::string_view media_type);
  Result<RemoteStatus> Status(const std::string& request_id);
  // The finished model's GLB bytes.
  Result<std::string> Fetch(const std::string& request_id);
  Result<void> Cancel(const std::string& request_id);

  http::HttpClient& client() { return client_; }
  const RemoteOptions& options() const { return options_; }

 private:
  Result<nlohmann::json> Call(std::string method, std::string path, std::string body);
  std::string RequestUrl(const std::string& request_id) const;

  RemoteOptions options_;
  http::HttpClient client_;
};

}  // namespace keel::image2model
