// Keel's own HTTP request and response types, so handlers never include Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::http {

// An ordered header list with case-insensitive lookup. Small (a request has ~10 headers), so a vector wins.
class Headers {
 public:
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Replaces every header of that name with one.
  void Set(std::string_view name, std::string value);
  void Add(std::string name, std::string value) { entries_.emplace_back(std::move(name), std::move(value)); }
  void Remove(std::string_view name);

  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// s without leading and trailing spaces and tabs (the optional whitespace around header list items).
std::string_view TrimSpace(std::string_view s);

// Values of path parameters, by name, in the order of the route template.
class PathParams {
 public:
  void Add(std::string_view name, std::string value) { entries_.emplace_back(name, std::move(value)); }
  std::optional<std::string_view> Get(std::string_view name) const;
  void Clear() { entries_.clear(); }

 private:
  std::vector<std::pair<std::string_view, std::string>> entries_;
};

// Who made a request, once the auth stage has checked its credentials.
struct Principal {
  std::string subject;  // user id
  std::string role;     // "user" or "admin"
  // Whose budget the per-user rate limit draws on: "user:<id>" for access tokens, "key:<id>" for API keys, so
  // each service client has its own limit.
  std::string rate_key;
  // An API key's scopes; nullopt for access tokens, which may do whatever their user may.
  std::optional<std::vector<std::string>> scopes = std::nullopt;

  bool HasScope(std::string_view scope) const;
};

// A request body read as it arrives, for routes that take large bodies (RouteOptions::streamed_body): the
// server hands the handler this instead of reading the whole body first, so memory stays flat however large
// the upload. Used on the request's own coroutine only.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece of the body, in arrival order; an empty string once the body is complete. An error means
  // the body cannot be read (malformed, over the route's limit, too slow, the client left): the handler
  // stops and answers anything, and the server sends its own refusal instead and closes the connection.
  virtual Task<Result<std::string>> Next() = 0;
  // Whether the whole body has been read.
  virtual bool Complete() const = 0;
  // Whether Next has failed (the server's refusal then replaces the handler's answer).
  virtual bool Failed() const = 0;
};

struct Request {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // path and query as sent
  std::string path;    // target up to '?', percent-decoding left to handlers
  std::string query;   // after '?', without it
  Headers headers;
  std::string body;                   // empty for streamed-body routes: they read body_stream
  BodyStream* body_stream = nullptr;  // set for streamed-body routes that have a body
  PathParams params;
  std::string remote_address;
  // Filled by the pipeline.
  std::string client_ip;  // remote_address, or the forwarded address when the peer is a trusted proxy
  std::string request_id;
  std::optional<Principal> principal;    // set for routes that require authentication
  std::string_view route = "unmatched";  // the matched route template, for logs and metrics
  std::chrono::steady_clock::time_point received_at;

  // The value of one query parameter (first occurrence, percent-decoded).
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  bool close = false;  // close the connection after this response
  // Why a 500 happened, for the server log (with the request id); never sent.
  std::string internal_error;
  // When set, the body is streamed (Server-Sent Events): the server sends the head with chunked transfer
  // encoding, then every chunk the producer yields until it yields nullopt, the client leaves or the server
  // drains; then it ends the body and closes the connection. `body` is ignored.
  std::function<Task<std::optional<std::string>>()> stream;
  // The streamed body's length, when known in advance (a file): then the body goes out with Content-Length
  // instead of chunked, and the connection stays open after it. The producer must yield exactly this many
  // bytes; if it stops short the connection is closed.
  std::optional<std::uint64_t> stream_length;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response Empty(int status);
  // 200 text/event-stream (Server-Sent Events), not cached, passed through nginx as it comes; `next` gives
  // the chunks (see `stream`).
  static Response EventStream(std::function<Task<std::optional<std::string>>()> next);
};

std::string_view ReasonPhrase(int status);

std::string PercentDecode(std::string_view text);

// application/json or any +json type, parameters aside.
bool IsJsonMediaType(std::string_view content_type);

}  // namespace keel::http
