// The remote chat engine: an OpenAI-compatible chat-completions service (chat.base_url + /chat/completions)
// given Keel's tools, through the platform's outbound client (timeouts, retries on 429 and 5xx, a circuit
// breaker). A turn is a loop: the model answers or asks for tool calls, Keel runs them and sends the results
// back, up to chat.max_tool_rounds times. Streamed turns read the service's server-sent events and hand each
// piece of the reply on as it arrives.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/siprems/chat_analyst.hpp"
#include "apps/siprems/chat_history.hpp"
#include "apps/siprems/chat_tools.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
class BlockingPool;
class Metrics;
namespace http {
class HttpClient;
}
}  // namespace keel

namespace keel::siprems {

// Pieces of a reply as they are produced; called from any thread.
using OnDelta = std::function<void(std::string_view)>;

// Reads a chat-completions event stream (the lines after each "data: "), gathering the assistant's message as
// the non-streamed answer would hold it: content and tool calls put together from their pieces.
class CompletionStream {
 public:
  explicit CompletionStream(OnDelta on_delta) : on_delta_(std::move(on_delta)) {}
  void Feed(std::string_view bytes);
  // {"choices": [{"message": {...}, "finish_reason": ...}]}; kUnavailable when the stream broke off or held
  // something that is not a completion chunk.
  Result<nlohmann::json> Finish();

 private:
  void Line(std::string_view line);

  OnDelta on_delta_;
  std::string pending_;
  std::string content_;
  nlohmann::json tool_calls_ = nlohmann::json::array();
  std::string finish_reason_;
  bool done_ = false;
  std::optional<std::string> error_;
};

class RemoteChat {
 public:
  RemoteChat(const ChatOptions& options, ChatTools& tools, BlockingPool& pool, Metrics& metrics);
  ~RemoteChat();

  // `on_delta` set: streamed from the service. Errors are the service's (after retries): the caller falls
  // back.
  Task<Result<ChatReply>> Reply(std::vector<ChatTurn> history, std::string message, OnDelta on_delta);

 private:
  // One chat-completions request, blocking (on the pool); the assistant's message and finish reason.
  Result<nlohmann::json> Complete(const nlohmann::json& body, const OnDelta& on_delta);

  const ChatOptions& options_;
  ChatTools& tools_;
  BlockingPool& pool_;
  std::string key_;
  std::unique_ptr<http::HttpClient> client_;
};

}  // namespace keel::siprems
