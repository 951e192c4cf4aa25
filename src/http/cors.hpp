// CORS: which origins may call the API from a browser, preflight answers, and headers on actual responses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace keel::http {

class CorsPolicy {
 public:
  CorsPolicy(std::vector<std::string> allowed_origins, int max_age_s);

  bool Enabled() const { return !allowed_origins_.empty(); }
  bool Allows(std::string_view origin) const;

  // An OPTIONS request with Origin and Access-Control-Request-Method.
  static bool IsPreflight(const Request& request);

  // The answer to a preflight for a path that accepts `allowed_methods` ("GET, HEAD, OPTIONS").
  Response Preflight(const Request& request, std::string_view allowed_methods) const;

  // Adds Access-Control-Allow-Origin and friends to a response when the request's origin is allowed.
  void Decorate(const Request& request, Response& response) const;

 private:
  std::vector<std::string> allowed_origins_;
  int max_age_s_;
};

}  // namespace keel::http
