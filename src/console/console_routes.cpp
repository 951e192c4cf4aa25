// The console's files as HTTP answers.
#include "console/console_routes.hpp"

#include "http/compression.hpp"

namespace keel::console {

namespace {

// Whether an If-None-Match value names `etag` (weakly, as RFC 9110 compares for GET) or is "*".
bool Matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    std::size_t comma = if_none_match.find(',');
    std::string_view tag = http::TrimSpace(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

const Asset* FindAsset(std::span<const Asset> assets, std::string_view path) {
  for (const Asset& asset : assets)
    if (asset.path == path) return &asset;
  return nullptr;
}

http::Response ServeAsset(const Asset& asset, const http::Request& request) {
  const bool page = asset.path == "/";
  http::Response response;
  response.headers.Add("ETag", std::string(asset.etag));
  response.headers.Add("Vary", "Accept-Encoding");
  response.headers.Add("Cache-Control", page ? "no-cache" : "public, max-age=31536000, immutable");
  response.headers.Add("X-Content-Type-Options", "nosniff");
  if (page) {
    response.headers.Add("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.headers.Add("Referrer-Policy", "no-referrer");
  }
  if (Matches(request.headers.Get("If-None-Match").value_or(""), asset.etag)) {
    response.status = 304;
    return response;
  }
  response.headers.Add("Content-Type", std::string(asset.content_type));
  if (http::AcceptsGzip(request.headers.Get("Accept-Encoding").value_or(""))) {
    response.headers.Add("Content-Encoding", "gzip");
    response.body = asset.gzip;
  } else {
    response.body = asset.body;
  }
  return response;
}

}  // namespace keel::console
