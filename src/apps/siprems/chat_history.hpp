// Chat sessions in the KV store (Redis when scaled out), so any instance answers the next turn: per user and
// session, the last chat.history_turns messages, kept chat.history_ttl_s after the last turn.
//
// Thread safety: as KvStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::kv {
class KvStore;
}

namespace keel::siprems {

struct ChatTurn {
  std::string role;  // user, assistant
  std::string content;
  std::int64_t at_ms = 0;
  std::string engine;  // for assistant turns: analyst or remote
};

// Session ids: 1-64 of A-Z, a-z, 0-9, '_' and '-'.
bool ValidSessionId(std::string_view id);

nlohmann::json TurnJson(const ChatTurn& turn);

class ChatHistory {
 public:
  ChatHistory(kv::KvStore& kv, const ChatOptions& options) : kv_(kv), options_(options) {}

  // The session's turns, oldest first; kNotFound when there is no such session.
  Task<Result<std::vector<ChatTurn>>> Load(std::string user, std::string session);
  // Stores `turns` (the last chat.history_turns of them) and renews the session's time to live.
  Task<Result<void>> Save(std::string user, std::string session, std::vector<ChatTurn> turns);
  // Whether there was such a session.
  Task<Result<bool>> Forget(std::string user, std::string session);

 private:
  kv::KvStore& kv_;
  const ChatOptions& options_;
};

}  // namespace keel::siprems
