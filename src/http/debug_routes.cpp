// Handlers of the diagnostic routes.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "http/debug_routes.hpp"

#include <stdexcept>
#include <thread>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "http/multipart.hpp"
#include "http/problem.hpp"

namespace keel::http {
namespace {

namespace asio = boost::asio;

constexpr long kMaxMs = 60000;

std::optional<long> Milliseconds(const Request& request) {
  auto text = request.QueryParam("ms");
  if (!text) return 0;
  char* end = nullptr;
  long ms = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || ms < 0 || ms > kMaxMs) return std::nullopt;
  return ms;
}

Task<Response> Sleep(Request& request) {
  auto ms = Milliseconds(request);
  if (!ms) co_return InvalidFieldsProblem({{"ms", "must be an integer from 0 to 60000"}});
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(*ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return Response::Json(200, "{\"slept_ms\":" + std::to_string(*ms) + "}");
}

Task<Response> Block(BlockingPool& pool, Request& request) {
  auto ms = Milliseconds(request);
  if (!ms) co_return InvalidFieldsProblem({{"ms", "must be an integer from 0 to 60000"}});
  auto done = co_await RunBlocking(pool, [ms = *ms]() -> Result<long> {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
  });
  if (!done) co_return ProblemFrom(done.error());
  co_return Response::Json(200, "{\"blocked_ms\":" + std::to_string(*done) + "}");
}

// Reads a multipart/form-data body as it streams in and describes each part (name, filename, size, SHA-256),
// so the end-to-end tests can check streamed bodies against what they sent.
Task<Response> DescribeMultipart(Request& request) {
  auto boundary = MultipartBoundary(request.headers.Get("Content-Type").value_or(""));
  if (!boundary) co_return Problem(415, "this route takes multipart/form-data with a boundary");
  MultipartReader reader(*boundary);
  nlohmann::json parts = nlohmann::json::array();
  Sha256 hash;
  std::uint64_t size = 0;
  bool done = false;
  while (!done) {
    if (request.body_stream == nullptr) break;
    auto piece = co_await request.body_stream->Next();
    if (!piece) co_return ProblemFrom(piece.error());
    if (piece->empty()) break;
    reader.Feed(*piece);
    for (auto event = reader.Next(); event.kind != MultipartReader::Kind::kNeedMore; event = reader.Next()) {
      using Kind = MultipartReader::Kind;
      if (event.kind == Kind::kFailed) co_return Problem(400, reader.error().message);
      if (event.kind == Kind::kData) {
        hash.Update(event.data);
        size += event.data.size();
      } else if (event.kind == Kind::kPartBegin) {
        parts.push_back({{"name", reader.head().name}, {"filename", reader.head().filename.value_or("")}});
      } else if (event.kind == Kind::kPartEnd) {
        parts.back()["bytes"] = size;
        parts.back()["sha256"] = hash.FinishHex();
        size = 0;
      } else if (event.kind == Kind::kDone) {
        done = true;
        break;
      }
    }
  }
  if (auto finished = reader.Finish(); !finished) co_return ProblemFrom(finished.error());
  // What follows the closing boundary (the epilogue) is read and ignored.
  while (request.body_stream != nullptr && !request.body_stream->Complete()) {
    auto piece = co_await request.body_stream->Next();
    if (!piece) co_return ProblemFrom(piece.error());
  }
  co_return Response::Json(200, nlohmann::json{{"parts", parts}}.dump());
}

}  // namespace

void AddDebugRoutes(Router& router, BlockingPool& pool) {
  router.Add("GET", "/api/v1/debug/sleep", Sleep);
  router.Add("GET", "/api/v1/debug/block", [&pool](Request& request) { return Block(pool, request); });
  router.Add("GET", "/api/v1/debug/fail", [](Request&) -> Task<Response> {
    throw std::runtime_error("deliberate failure from /api/v1/debug/fail");
    co_return Response::Empty(204);
  });
  router.Add(
      "POST", "/api/v1/debug/echo",
      [](Request& request) -> Task<Response> { co_return Response::Json(200, std::move(request.body)); },
      RouteOptions{.body_limit = 0, .json_body = true});
  router.Add("POST", "/api/v1/debug/multipart", DescribeMultipart,
             RouteOptions{.body_limit = std::size_t{64} << 20, .streamed_body = true});
}

}  // namespace keel::http
