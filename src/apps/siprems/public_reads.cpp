#include "apps/siprems/public_reads.hpp"

#include <fmt/format.h>

namespace keel::siprems {

http::RouteOptions ReadRouteOptions(const SipremsOptions& options) {
  if (options.public_reads) return http::RouteOptions{};
  return http::RouteOptions{.authenticated = true, .scope = "siprems"};
}

http::Handler PublicRead(http::Handler handler, const SipremsOptions& options) {
  if (!options.public_reads) return handler;
  std::string cache_control = fmt::format("public, max-age={}", options.forecast_cache_ttl.count());
  return [handler = std::move(handler), cache_control](http::Request& request) -> Task<http::Response> {
    http::Response response = co_await handler(request);
    if (response.status == 200) response.headers.Add("Cache-Control", cache_control);
    co_return response;
  };
}

}  // namespace keel::siprems
