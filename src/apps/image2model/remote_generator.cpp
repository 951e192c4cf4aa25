#include "apps/image2model/remote_generator.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "core/config.hpp"

namespace keel::image2model {

namespace {

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t n =
        (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) | std::uint8_t(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    std::uint32_t n = std::uint8_t(bytes[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    std::uint32_t n = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// The first string found at any of these JSON pointers.
std::optional<std::string> StringAt(const nlohmann::json& document,
                                    std::initializer_list<const char*> pointers) {
  for (const char* pointer : pointers) {
    nlohmann::json::json_pointer at(pointer);
    if (document.contains(at) && document[at].is_string()) return document[at].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

RemoteOptions RemoteOptions::Read(const Config& config) {
  RemoteOptions options;
  options.base_url = config.String("image2model.remote_base_url");
  while (options.base_url.ends_with('/')) options.base_url.pop_back();
  options.model = config.String("image2model.remote_model");
  const char* key = std::getenv(config.String("image2model.remote_key_env").c_str());
  options.key = key != nullptr ? key : "";
  options.poll = std::chrono::milliseconds(config.Int("image2model.remote_poll_ms"));
  options.deadline = std::chrono::seconds(config.Int("image2model.remote_deadline_s"));
  options.client.provider = "remote";
  options.client.max_connections = 100;
  options.client.max_per_host = 30;
  options.client.max_in_flight = static_cast<std::size_t>(config.Int("image2model.remote_max_in_flight"));
  options.client.connect_timeout =
      std::chrono::milliseconds(config.Int("image2model.remote_connect_timeout_ms"));
  options.client.read_timeout = std::chrono::milliseconds(config.Int("image2model.remote_read_timeout_ms"));
  options.client.total_timeout = std::chrono::milliseconds(config.Int("image2model.remote_total_timeout_ms"));
  options.client.breaker_failures = static_cast<int>(config.Int("image2model.remote_breaker_failures"));
  options.client.breaker_open = std::chrono::milliseconds(config.Int("image2model.remote_breaker_open_ms"));
  return options;
}

RemoteGenerator::RemoteGenerator(RemoteOptions options, Metrics& metrics)
    : options_(std::move(options)), client_(options_.client, metrics) {}

std::string RemoteGenerator::RequestUrl(const std::string& request_id) const {
  return fmt::format("{}/{}/requests/{}", options_.base_url, options_.model, request_id);
}

Result<nlohmann::json> RemoteGenerator::Call(std::string method, std::string url, std::string body) {
  http::OutboundRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  request.headers.emplace_back("Authorization", "Key " + options_.key);
  request.headers.emplace_back("Accept", "application/json");
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  auto answer = client_.Send(request);
  if (!answer) return std::move(answer).error();
  if (answer->status == 401 || answer->status == 403)
    return Error{ErrorCode::kPermissionDenied,
                 fmt::format("the remote generator refused the key ({})", answer->status)};
  if (answer->status == 429 || answer->status >= 500)
    return Error{ErrorCode::kUnavailable, fmt::format("the remote generator answered {}", answer->status)};
  if (answer->status >= 400)
    return Error{ErrorCode::kValidation, fmt::format("the remote generator refused the request ({}): {}",
                                                     answer->status, answer->body.substr(0, 300))};
  auto document = nlohmann::json::parse(answer->body, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return Error{ErrorCode::kUnavailable, "the remote generator's answer is not a JSON object"};
  return document;
}

Result<std::string> RemoteGenerator::Submit(std::string_view image, std::string_view media_type) {
  nlohmann::json body{{"image_url", fmt::format("data:{};base64,{}", media_type, Base64(image))},
                      {"output_format", "glb"}};
  auto answer = Call("POST", fmt::format("{}/{}", options_.base_url, options_.model), body.dump());
  if (!answer) return std::move(answer).error();
  auto id = StringAt(*answer, {"/request_id"});
  if (!id || id->empty() || id->size() > 200)
    return Error{ErrorCode::kUnavailable, "the remote generator's answer to a submission has no request_id"};
  return *id;
}

Result<RemoteStatus> RemoteGenerator::Status(const std::string& request_id) {
  auto answer = Call("GET", RequestUrl(request_id) + "/status", "");
  if (!answer) return std::move(answer).error();
  auto state = StringAt(*answer, {"/status"});
  RemoteStatus status;
  if (state == "IN_QUEUE") {
    status.state = RemoteStatus::State::kQueued;
    if (answer->contains("queue_position") && (*answer)["queue_position"].is_number_integer())
      status.queue_position = (*answer)["queue_position"].get<std::int64_t>();
  } else if (state == "IN_PROGRESS") {
    status.state = RemoteStatus::State::kRunning;
  } else if (state == "COMPLETED") {
    status.state = RemoteStatus::State::kCompleted;
    if (auto error = StringAt(*answer, {"/error"})) {
      status.state = RemoteStatus::State::kFailed;
      status.detail = *error;
    }
  } else {
    return Error{ErrorCode::kUnavailable, "the remote generator's status answer has no known status"};
  }
  return status;
}

Result<std::string> RemoteGenerator::Fetch(const std::string& request_id) {
  auto answer = Call("GET", RequestUrl(request_id), "");
  if (!answer) return std::move(answer).error();
  auto url = StringAt(*answer, {"/model_mesh/url", "/model_glb/url", "/model/url", "/glb/url"});
  if (!url) return Error{ErrorCode::kUnavailable, "the remote generator's result names no model file"};
  http::OutboundRequest download;
  download.url = *url;
  auto file = client_.Send(download);
  if (!file) return std::move(file).error();
  if (file->status != 200)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("downloading the remote model answered {}", file->status)};
  return std::move(file->body);
}

Result<void> RemoteGenerator::Cancel(const std::string& request_id) {
  auto answer = Call("PUT", RequestUrl(request_id) + "/cancel", "");
  if (!answer) return std::move(answer).error();
  return Ok();
}

}  // namespace keel::image2model
