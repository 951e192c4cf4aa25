// The console's routes and its configuration.
#include "console/console_module.hpp"

#include "console/console_routes.hpp"
#include "core/config_keys.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace keel::console {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view ConsoleModule::OpenApi() const { return OpenApiPart(); }

ConfigSchema ConsoleModule::ConfigKeys() const {
  return {
      schema::Bool("console.enabled", true,
                   "Serve the web console at / (its assets at /assets/*). Off: Keel serves only its API.")};
}

Result<void> ConsoleModule::Register(ModuleContext& context) {
  if (!context.config().Bool("console.enabled")) return Ok();
  // The page and its assets are the same for everyone and cost nothing to send: not rate limited.
  const http::RouteOptions options{.rate_policy = ""};
  auto& router = context.router();
  router.Add(
      "GET", "/",
      [](http::Request& request) -> Task<http::Response> { co_return ServeAsset(*FindAsset("/"), request); },
      options);
  router.Add(
      "GET", "/assets/{name}",
      [](http::Request& request) -> Task<http::Response> {
        const Asset* asset = FindAsset(request.path);
        if (asset == nullptr) co_return http::Problem(404, "no such console asset");
        co_return ServeAsset(*asset, request);
      },
      options);
  return Ok();
}

}  // namespace keel::console
