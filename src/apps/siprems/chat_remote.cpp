#include "apps/siprems/chat_remote.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "core/blocking_pool.hpp"
#include "http/outbound/http_client.hpp"

namespace keel::siprems {
namespace {

constexpr const char* kSystemPrompt =
    "You are the sales assistant of a shop's SIPREMS service. Answer questions about its products, sales, "
    "trends, forecasts and stock. Use the tools for every figure and quote the figures they return; never "
    "make numbers up. Dates are YYYY-MM-DD. Keep replies short.";

nlohmann::json Message(std::string role, std::string content) {
  return nlohmann::json{{"role", std::move(role)}, {"content", std::move(content)}};
}

nlohmann::json ToolMessage(const std::string& id, const nlohmann::json& result) {
  return nlohmann::json{{"role", "tool"}, {"tool_call_id", id}, {"content", result.dump()}};
}

nlohmann::json RequestBody(const ChatOptions& options, const nlohmann::json& messages, bool stream,
                           bool tools_allowed) {
  nlohmann::json body = {{"model", options.model}, {"messages", messages}, {"stream", stream}};
  body["tools"] = ChatTools::Schemas();
  body["tool_choice"] = tools_allowed ? "auto" : "none";
  return body;
}

nlohmann::json ParseArguments(const nlohmann::json& call) {
  const auto& function = call.value("function", nlohmann::json::object());
  std::string text = function.value("arguments", std::string("{}"));
  auto arguments = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, /*allow_exceptions=*/false);
  return arguments.is_discarded() ? nlohmann::json() : arguments;
}

}  // namespace

void CompletionStream::Feed(std::string_view bytes) {
  pending_.append(bytes);
  for (std::size_t end = pending_.find('\n'); end != std::string::npos; end = pending_.find('\n')) {
    std::string line = pending_.substr(0, end);
    pending_.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Line(line);
  }
}

void CompletionStream::Line(std::string_view line) {
  if (error_ || done_ || !line.starts_with("data:")) return;  // comments, event names, blank separators
  line.remove_prefix(5);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (line == "[DONE]") {
    done_ = true;
    return;
  }
  auto chunk = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!chunk.is_object() || !chunk.contains("choices") || !chunk["choices"].is_array()) {
    error_ = "a stream event is not a completion chunk";
    return;
  }
  for (const auto& choice : chunk["choices"]) {
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
      finish_reason_ = choice["finish_reason"].get<std::string>();
    const auto& delta = choice.value("delta", nlohmann::json::object());
    if (delta.contains("content") && delta["content"].is_string()) {
      std::string piece = delta["content"].get<std::string>();
      content_ += piece;
      if (on_delta_ && !piece.empty()) on_delta_(piece);
    }
    if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
      for (const auto& part : delta["tool_calls"]) {
        std::size_t index = part.value("index", std::size_t{0});
        if (index > 64) continue;
        while (tool_calls_.size() <= index)
          tool_calls_.push_back(
              {{"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", ""}}}});
        auto& call = tool_calls_[index];
        if (part.contains("id") && part["id"].is_string()) call["id"] = part["id"];
        const auto& function = part.value("function", nlohmann::json::object());
        if (function.contains("name") && function["name"].is_string())
          call["function"]["name"] =
              call["function"]["name"].get<std::string>() + function["name"].get<std::string>();
        if (function.contains("arguments") && function["arguments"].is_string())
          call["function"]["arguments"] =
              call["function"]["arguments"].get<std::string>() + function["arguments"].get<std::string>();
      }
    }
  }
}

Result<nlohmann::json> CompletionStream::Finish() {
  if (!pending_.empty()) Line(pending_);
  if (error_) return Error{ErrorCode::kUnavailable, "chat service: " + *error_};
  if (!done_ && finish_reason_.empty())
    return Error{ErrorCode::kUnavailable, "chat service: the stream ended before the reply did"};
  nlohmann::json message = {{"role", "assistant"}, {"content", content_}};
  if (!tool_calls_.empty()) message["tool_calls"] = tool_calls_;
  return nlohmann::json{{"choices", {{{"message", std::move(message)}, {"finish_reason", finish_reason_}}}}};
}

RemoteChat::RemoteChat(const ChatOptions& options, ChatTools& tools, BlockingPool& pool, Metrics& metrics)
    : options_(options), tools_(tools), pool_(pool) {
  if (const char* key = std::getenv(options.key_env.c_str()); key != nullptr) key_ = key;
  http::HttpClientOptions client;
  client.provider = "chat";
  client.connect_timeout = options.connect_timeout;
  client.read_timeout = options.timeout;
  client.total_timeout = options.timeout;
  client.attempts = options.attempts;
  client_ = std::make_unique<http::HttpClient>(client, metrics);
}

RemoteChat::~RemoteChat() = default;

Result<nlohmann::json> RemoteChat::Complete(const nlohmann::json& body, const OnDelta& on_delta) {
  http::OutboundRequest request;
  request.method = "POST";
  request.url = options_.base_url + "/chat/completions";
  request.headers.emplace_back("Content-Type", "application/json");
  if (!key_.empty()) request.headers.emplace_back("Authorization", "Bearer " + key_);
  request.body = body.dump();
  std::shared_ptr<CompletionStream> stream;
  if (on_delta) {
    stream = std::make_shared<CompletionStream>(on_delta);
    request.headers.emplace_back("Accept", "text/event-stream");
    request.on_body = [stream](std::string_view piece) { stream->Feed(piece); };
  }
  auto response = client_->Send(request);
  if (!response) return std::move(response).error();
  if (response->status < 200 || response->status >= 300)
    return Error{ErrorCode::kUnavailable, fmt::format("chat service answered HTTP {}", response->status)};
  if (stream) return stream->Finish();
  auto answer = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("choices") || !answer["choices"].is_array() ||
      answer["choices"].empty() || !answer["choices"][0].contains("message"))
    return Error{ErrorCode::kUnavailable, "chat service: the answer is not a chat completion"};
  return answer;
}

Task<Result<ChatReply>> RemoteChat::Reply(std::vector<ChatTurn> history, std::string message,
                                          OnDelta on_delta) {
  ChatReply reply;
  reply.engine = "remote";
  nlohmann::json messages = nlohmann::json::array();
  messages.push_back(Message("system", kSystemPrompt));
  for (const ChatTurn& turn : history) messages.push_back(Message(turn.role, turn.content));
  messages.push_back(Message("user", message));
  for (int round = 0;; ++round) {
    const bool tools_allowed = round < options_.max_tool_rounds;
    nlohmann::json body = RequestBody(options_, messages, static_cast<bool>(on_delta), tools_allowed);
    auto answer = co_await RunBlocking(pool_, [this, &body, &on_delta] { return Complete(body, on_delta); });
    if (!answer) co_return std::move(answer).error();
    nlohmann::json said = (*answer)["choices"][0]["message"];
    const nlohmann::json calls = said.value("tool_calls", nlohmann::json::array());
    if (!tools_allowed || !calls.is_array() || calls.empty()) {
      reply.text = said.value("content", nlohmann::json("")).is_string()
                       ? said.value("content", std::string())
                       : std::string();
      if (reply.text.empty()) co_return Error{ErrorCode::kUnavailable, "chat service: an empty reply"};
      co_return reply;
    }
    messages.push_back(said);
    for (const auto& call : calls) {
      std::string id = call.value("id", std::string());
      std::string name = call.value("function", nlohmann::json::object()).value("name", std::string());
      auto result = co_await tools_.Call(name, ParseArguments(call), reply.facts);
      if (!result) co_return std::move(result).error();
      messages.push_back(ToolMessage(id, *result));
    }
  }
}

}  // namespace keel::siprems
