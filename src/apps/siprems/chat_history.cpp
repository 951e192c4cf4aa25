#include "apps/siprems/chat_history.hpp"

#include "core/rfc3339.hpp"
#include "storage/kv/kv_store.hpp"

namespace keel::siprems {
namespace {

std::string Key(const std::string& user, const std::string& session) {
  return "siprems:chat:" + user + ":" + session;
}

std::string Encode(const std::vector<ChatTurn>& turns) {
  nlohmann::json stored = nlohmann::json::array();
  for (const ChatTurn& t : turns)
    stored.push_back({{"role", t.role}, {"content", t.content}, {"at", t.at_ms}, {"engine", t.engine}});
  return stored.dump();
}

std::optional<std::vector<ChatTurn>> Decode(const std::string& text) {
  auto stored = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!stored.is_array()) return std::nullopt;
  std::vector<ChatTurn> turns;
  for (const auto& t : stored) {
    if (!t.is_object()) return std::nullopt;
    ChatTurn turn;
    turn.role = t.value("role", "");
    turn.content = t.value("content", "");
    turn.at_ms = t.value("at", std::int64_t{0});
    turn.engine = t.value("engine", "");
    turns.push_back(std::move(turn));
  }
  return turns;
}

// A stored session's turns; kNotFound when there is none. Outside the coroutine: g++ 12 warns that an empty
// optional of a vector co_returned from one "may be used uninitialized".
Result<std::vector<ChatTurn>> Turns(Result<std::optional<std::string>> stored) {
  if (!stored) return std::move(stored).error();
  if (!*stored) return Error{ErrorCode::kNotFound, "no such chat session"};
  auto turns = Decode(**stored);
  if (!turns) return Error{ErrorCode::kInternal, "a stored chat session does not read"};
  return std::move(*turns);
}

}  // namespace

bool ValidSessionId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

nlohmann::json TurnJson(const ChatTurn& turn) {
  nlohmann::json json = {{"role", turn.role}, {"content", turn.content}, {"at", FormatRfc3339(turn.at_ms)}};
  if (!turn.engine.empty()) json["engine"] = turn.engine;
  return json;
}

Task<Result<std::vector<ChatTurn>>> ChatHistory::Load(std::string user, std::string session) {
  auto stored = co_await kv_.Get(Key(user, session));
  co_return Turns(std::move(stored));
}

Task<Result<void>> ChatHistory::Save(std::string user, std::string session, std::vector<ChatTurn> turns) {
  const auto keep = static_cast<std::size_t>(options_.history_turns);
  if (turns.size() > keep) turns.erase(turns.begin(), turns.end() - static_cast<std::ptrdiff_t>(keep));
  co_return co_await kv_.Set(Key(user, session), Encode(turns), options_.history_ttl);
}

Task<Result<bool>> ChatHistory::Forget(std::string user, std::string session) {
  co_return co_await kv_.Delete(Key(user, session));
}

}  // namespace keel::siprems
