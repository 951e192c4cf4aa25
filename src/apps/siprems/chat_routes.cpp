#include "apps/siprems/chat_routes.hpp"

#include <utility>  // before Boost

#include <deque>
#include <mutex>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>

#include "apps/siprems/chat_service.hpp"
#include "core/wakeup.hpp"
#include "http/json_fields.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace keel::siprems {
namespace {

using http::Request;
using http::Response;

constexpr std::size_t kMaxMessage = 4000;
constexpr auto kKeepAlive = std::chrono::seconds(15);

struct TurnInput {
  std::string message;
  std::string session_id;
  bool stream = false;
};

std::variant<TurnInput, http::InputProblem> ParseTurn(std::string_view body) {
  http::JsonFields fields(body);
  if (!fields.ok()) return fields.problem();
  fields.RejectUnknown({"message", "session_id", "stream"});
  TurnInput input;
  auto message = fields.String("message", 1, kMaxMessage, /*required=*/true, /*trim=*/true);
  auto session = fields.String("session_id", 1, 64, /*required=*/false);
  if (session && !ValidSessionId(*session))
    fields.AddError("session_id", "must be 1-64 of A-Z, a-z, 0-9, '_' and '-'");
  auto stream = fields.Bool("stream", false);
  if (!fields.ok()) return fields.problem();
  input.message = std::move(*message);
  input.session_id = session.value_or("");
  input.stream = stream.value_or(false);
  return input;
}

std::string Event(std::string_view name, const nlohmann::json& data) {
  return fmt::format("event: {}\ndata: {}\n\n", name, data.dump());
}

std::string DeltaEvent(std::string_view text) { return Event("delta", nlohmann::json{{"text", text}}); }

std::string ErrorEvent(const Error& error) {
  return Event("error", nlohmann::json{{"status", http::HttpStatus(error.code)}, {"detail", error.message}});
}

// The chunks of a streamed turn, produced by the turn (on any thread) and consumed by the response.
struct TurnStream {
  std::mutex mutex;
  std::deque<std::string> chunks;  // GUARDED_BY(mutex)
  bool done = false;               // GUARDED_BY(mutex)
  std::shared_ptr<Wakeup> wakeup;

  void Push(std::string chunk, bool last) {
    {
      std::lock_guard lock(mutex);
      chunks.push_back(std::move(chunk));
      done = done || last;
    }
    wakeup->Notify();
  }

  // The next chunk; nullopt when the turn ended and everything was sent.
  Task<std::optional<std::string>> Next() {
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (!chunks.empty()) {
          std::string chunk = std::move(chunks.front());
          chunks.pop_front();
          co_return chunk;
        }
        if (done) co_return std::nullopt;
      }
      const auto deadline = std::chrono::steady_clock::now() + kKeepAlive;
      co_await wakeup->Wait(deadline);
      if (std::chrono::steady_clock::now() >= deadline) {
        std::lock_guard lock(mutex);
        if (chunks.empty() && !done) co_return std::string(": keep-alive\n\n");
      }
    }
  }
};

Response SessionDocument(const std::string& id, const std::vector<ChatTurn>& turns) {
  nlohmann::json items = nlohmann::json::array();
  for (const ChatTurn& turn : turns) items.push_back(TurnJson(turn));
  return Response::Json(200, nlohmann::json{{"session_id", id}, {"turns", std::move(items)}}.dump());
}

Error NoSuchSession() { return Error{ErrorCode::kNotFound, "no such chat session"}; }

}  // namespace

void ChatRoutes::AddTo(http::Router& router) {
  router.Add(
      "POST", "/api/v1/chat", [this](Request& r) { return Turn(r); },
      http::RouteOptions{.json_body = true, .authenticated = true, .scope = "siprems"});
  router.Add(
      "GET", "/api/v1/chat/sessions/{id}", [this](Request& r) { return Session(r); },
      http::RouteOptions{.authenticated = true, .scope = "siprems"});
  router.Add(
      "DELETE", "/api/v1/chat/sessions/{id}", [this](Request& r) { return Forget(r); },
      http::RouteOptions{.authenticated = true, .scope = "siprems"});
}

Task<Response> ChatRoutes::Turn(Request& request) {
  auto parsed = ParseTurn(request.body);
  if (auto* invalid = std::get_if<http::InputProblem>(&parsed)) co_return invalid->ToResponse();
  TurnInput input = std::get<TurnInput>(std::move(parsed));
  std::string user = request.principal->subject;
  if (!input.stream) {
    auto outcome =
        co_await chat_.Turn(std::move(user), std::move(input.session_id), std::move(input.message), {});
    if (!outcome) co_return http::ProblemFrom(outcome.error());
    co_return Response::Json(200, OutcomeJson(*outcome).dump());
  }
  // Streamed: the turn runs on its own, pushing pieces as they come; the response sends them.
  boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  auto stream = std::make_shared<TurnStream>();
  stream->wakeup = Wakeup::Make(executor);
  OnDelta on_delta = [stream](std::string_view piece) { stream->Push(DeltaEvent(piece), false); };
  ChatService* chat = &chat_;
  boost::asio::co_spawn(
      executor,
      [chat, stream, on_delta, user = std::move(user), session = std::move(input.session_id),
       message = std::move(input.message)]() mutable -> Task<void> {
        auto outcome = co_await chat->Turn(std::move(user), std::move(session), std::move(message), on_delta);
        if (outcome)
          stream->Push(Event("done", OutcomeJson(*outcome)), true);
        else
          stream->Push(ErrorEvent(outcome.error()), true);
      },
      boost::asio::detached);
  co_return Response::EventStream([stream]() { return stream->Next(); });
}

Task<Response> ChatRoutes::Session(Request& request) {
  std::string id(*request.params.Get("id"));
  if (!ValidSessionId(id)) co_return http::ProblemFrom(NoSuchSession());
  auto turns = co_await chat_.history().Load(request.principal->subject, id);
  if (!turns) co_return http::ProblemFrom(turns.error());
  co_return SessionDocument(id, *turns);
}

Task<Response> ChatRoutes::Forget(Request& request) {
  std::string id(*request.params.Get("id"));
  if (!ValidSessionId(id)) co_return http::ProblemFrom(NoSuchSession());
  auto forgotten = co_await chat_.history().Forget(request.principal->subject, id);
  if (!forgotten) co_return http::ProblemFrom(forgotten.error());
  if (!*forgotten) co_return http::ProblemFrom(NoSuchSession());
  co_return Response::Empty(204);
}

}  // namespace keel::siprems
