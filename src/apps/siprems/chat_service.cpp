#include "apps/siprems/chat_service.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/random.hpp"

namespace keel::siprems {

nlohmann::json OutcomeJson(const ChatOutcome& o) {
  nlohmann::json facts = nlohmann::json::array();
  for (const ChatFact& fact : o.reply.facts) facts.push_back(FactJson(fact));
  return nlohmann::json{{"reply", o.reply.text},
                        {"session_id", o.session_id},
                        {"engine", o.reply.engine},
                        {"degraded", o.reply.degraded},
                        {"facts", std::move(facts)}};
}

ChatService::ChatService(ChatTools& tools, ChatHistory& history, std::unique_ptr<RemoteChat> remote,
                         const Clock& clock, const ChatOptions& options)
    : analyst_(tools), history_(history), remote_(std::move(remote)), clock_(clock), options_(options) {}

ChatService::~ChatService() = default;

Result<void> ChatService::Health() const {
  if (!remote_ || !has_failed_.load()) return Ok();
  const std::int64_t since = clock_.WallMillis() - failed_at_ms_.load();
  if (since > std::chrono::duration_cast<std::chrono::milliseconds>(options_.degraded_window).count())
    return Ok();
  auto reason = std::atomic_load(&last_failure_);
  return Error{ErrorCode::kUnavailable,
               fmt::format("the chat service failed {} s ago ({}); the built-in analyst answers",
                           since / 1000, *reason)};
}

Task<Result<ChatOutcome>> ChatService::Turn(std::string user, std::string session, std::string message,
                                            OnDelta on_delta) {
  ChatOutcome outcome;
  outcome.session_id = session.empty() ? NewId() : session;
  std::vector<ChatTurn> turns;
  if (!session.empty()) {
    auto loaded = co_await history_.Load(user, session);
    if (loaded)
      turns = std::move(*loaded);
    else if (loaded.error().code != ErrorCode::kNotFound)  // a new session the client named itself
      co_return std::move(loaded).error();
  }
  bool answered = false;
  std::string fallback_note;
  if (remote_) {
    auto reply = co_await remote_->Reply(turns, message, on_delta);
    if (reply) {
      outcome.reply = std::move(*reply);
      answered = true;
    } else {
      failed_at_ms_.store(clock_.WallMillis());
      std::atomic_store(&last_failure_, std::make_shared<std::string>(reply.error().message));
      has_failed_.store(true);
      fallback_note = fmt::format(
          "(The assistant service is unavailable: {}. This answer is from the built-in analyst.)\n\n",
          reply.error().message);
    }
  }
  if (!answered) {
    auto reply = co_await analyst_.Reply(message);
    if (!reply) co_return std::move(reply).error();
    outcome.reply = std::move(*reply);
    outcome.reply.degraded = !fallback_note.empty();
    outcome.reply.text = fallback_note + outcome.reply.text;
    // The analyst's reply is whole at once: streamed line by line.
    if (on_delta) {
      std::string_view text = outcome.reply.text;
      while (!text.empty()) {
        std::size_t end = text.find('\n');
        end = end == std::string_view::npos ? text.size() : end + 1;
        on_delta(text.substr(0, end));
        text.remove_prefix(end);
      }
    }
  }
  const std::int64_t now = clock_.WallMillis();
  ChatTurn asked;
  asked.role = "user";
  asked.content = std::move(message);
  asked.at_ms = now;
  ChatTurn answer;
  answer.role = "assistant";
  answer.content = outcome.reply.text;
  answer.at_ms = now;
  answer.engine = outcome.reply.engine;
  turns.push_back(std::move(asked));
  turns.push_back(std::move(answer));
  auto saved = co_await history_.Save(user, outcome.session_id, std::move(turns));
  if (!saved) co_return std::move(saved).error();
  co_return outcome;
}

}  // namespace keel::siprems
