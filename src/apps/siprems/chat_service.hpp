// A chat turn from end to end: the session's history from the KV store, the remote engine when one is
// configured (the analyst when it fails, saying so, and /ready's chat_service turns degraded for a while),
// the analyst otherwise, and the history saved with the new turn.
//
// Thread safety: Turn from any IO thread.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "apps/siprems/chat_analyst.hpp"
#include "apps/siprems/chat_history.hpp"
#include "apps/siprems/chat_remote.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
class Clock;
}

namespace keel::siprems {

struct ChatOutcome {
  ChatReply reply;
  std::string session_id;
};

nlohmann::json OutcomeJson(const ChatOutcome& outcome);

class ChatService {
 public:
  // `remote` null: the analyst answers every turn.
  ChatService(ChatTools& tools, ChatHistory& history, std::unique_ptr<RemoteChat> remote, const Clock& clock,
              const ChatOptions& options);
  ~ChatService();

  // `session` empty: a new one. `on_delta` set: the reply's pieces as they are produced.
  Task<Result<ChatOutcome>> Turn(std::string user, std::string session, std::string message,
                                 OnDelta on_delta);

  // For /ready: degraded while the remote engine failed within chat.degraded_window_s.
  Result<void> Health() const;

  ChatHistory& history() { return history_; }

 private:
  ChatAnalyst analyst_;
  ChatHistory& history_;
  std::unique_ptr<RemoteChat> remote_;
  const Clock& clock_;
  const ChatOptions& options_;
  std::atomic<std::int64_t> failed_at_ms_{0};
  std::atomic<bool> has_failed_{false};
  std::shared_ptr<std::string> last_failure_ = std::make_shared<std::string>();  // read with atomic_load
};

}  // namespace keel::siprems
