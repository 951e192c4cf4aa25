// CorsPolicy: origin matching, preflight responses and response decoration.
#include "http/cors.hpp"

#include <algorithm>

#include "http/problem.hpp"

namespace keel::http {
namespace {

constexpr const char* kExposedHeaders =
    "X-Request-ID, X-Keel-Instance, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";
constexpr const char* kDefaultAllowedHeaders = "Authorization, Content-Type, X-Request-ID";

bool ListContains(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto entry = list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

void AddVaryOrigin(Response& response) {
  auto vary = response.headers.Get("Vary");
  if (!vary) {
    response.headers.Add("Vary", "Origin");
  } else if (!ListContains(*vary, "Origin")) {
    response.headers.Set("Vary", std::string(*vary) + ", Origin");
  }
}

}  // namespace

CorsPolicy::CorsPolicy(std::vector<std::string> allowed_origins, int max_age_s)
    : allowed_origins_(std::move(allowed_origins)), max_age_s_(max_age_s) {}

bool CorsPolicy::Allows(std::string_view origin) const {
  return std::any_of(allowed_origins_.begin(), allowed_origins_.end(),
                     [&](const std::string& allowed) { return allowed == "*" || allowed == origin; });
}

bool CorsPolicy::IsPreflight(const Request& request) {
  return request.method == "OPTIONS" && request.headers.Has("Origin") &&
         request.headers.Has("Access-Control-Request-Method");
}

Response CorsPolicy::Preflight(const Request& request, std::string_view allowed_methods) const {
  auto origin = request.headers.Get("Origin").value_or("");
  if (!Enabled() || !Allows(origin)) return Problem(403, "origin " + std::string(origin) + " is not allowed");
  auto requested = request.headers.Get("Access-Control-Request-Method").value_or("");
  if (!ListContains(allowed_methods, requested))
    return Problem(405, "method " + std::string(requested) + " is not allowed on this path");
  Response response = Response::Empty(204);
  response.headers.Add("Access-Control-Allow-Origin", std::string(origin));
  response.headers.Add("Access-Control-Allow-Methods", std::string(allowed_methods));
  auto headers = request.headers.Get("Access-Control-Request-Headers");
  response.headers.Add("Access-Control-Allow-Headers",
                       headers ? std::string(*headers) : kDefaultAllowedHeaders);
  response.headers.Add("Access-Control-Max-Age", std::to_string(max_age_s_));
  AddVaryOrigin(response);
  return response;
}

void CorsPolicy::Decorate(const Request& request, Response& response) const {
  if (!Enabled()) return;
  auto origin = request.headers.Get("Origin");
  if (!origin) return;
  AddVaryOrigin(response);
  if (!Allows(*origin)) return;
  response.headers.Set("Access-Control-Allow-Origin", std::string(*origin));
  response.headers.Set("Access-Control-Expose-Headers", kExposedHeaders);
}

}  // namespace keel::http
