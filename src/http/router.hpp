// Routes by method and path template ("/api/v1/tasks/{id}"); answers found, 405 with Allow, or 404.
//
// Thread safety: build the table (Add) before serving; Match is then safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/async.hpp"
#include "http/message.hpp"

namespace keel::http {

using Handler = std::function<Task<Response>(Request&)>;

struct RouteOptions {
  // Largest accepted request body; 0 means the server's default (server.max_body_bytes).
  std::size_t body_limit = 0;
  // When true, the body is not read before the handler runs: the handler reads it piece by piece from
  // request.body_stream (uploads). body_limit still bounds it; the time limit applies to each read.
  bool streamed_body = false;
  // When true, a request with a body must send Content-Type application/json (or +json), else 415.
  bool json_body = false;
  // When true, the pipeline's authenticator must accept the request's bearer credentials (else 401), and
  // request.principal is set before the handler runs.
  bool authenticated = false;
  // When true, the principal must have the admin role (else 403). Implies authenticated.
  bool admin_only = false;
  // An API key must carry this scope (else 403); access tokens pass. Empty: any key. Implies nothing on its
  // own: set authenticated too.
  std::string_view scope = {};
  // The per-client-IP rate-limit policy ("api", "auth"); empty: not limited. Authenticated requests are also
  // counted against the per-user policy "user".
  std::string_view rate_policy = "api";
};

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
};

struct RouteMatch {
  enum class Kind { kFound, kMethodNotAllowed, kNotFound };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;
  // The path template the path matched, also when the method is not allowed (for metrics); empty when no
  // path matched.
  std::string_view pattern;
  std::vector<std::pair<std::string_view, std::string>> params;
  std::string allow;  // methods the path accepts, for 405 and OPTIONS ("GET, HEAD")
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // REQUIRES: pattern starts with '/'; parameters are whole segments "{name}"; (method, pattern) is new.
  // Violations are programming errors and throw std::logic_error at start-up.
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  // HEAD falls back to the GET route of the path.
  RouteMatch Match(std::string_view method, std::string_view path) const;

  std::vector<const Route*> Routes() const;

 private:
  struct Node;
  const Node* Find(const Node& node, std::string_view path,
                   std::vector<std::pair<std::string_view, std::string>>& params) const;
  std::unique_ptr<Node> root_;
  std::vector<const Route*> routes_;
};

}  // namespace keel::http
