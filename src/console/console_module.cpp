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

namespace {

Task<http::Response> Answer(const Asset* asset, http::Request& request) {
  if (asset == nullptr) co_return http::Problem(404, "no such console asset");
  co_return ServeAsset(*asset, request);
}

}  // namespace

ConfigSchema ConsoleModule::ConfigKeys() const {
  return {
      schema::Bool("console.enabled", true,
                   "Serve the web console at / (its assets at /assets/*). Off: Keel serves only its API."),
      schema::String(
          "console.dir", "",
          "Serve the console from this folder, as `node console/build.mjs --out DIR` writes it, read at "
          "start-up, instead of the copy compiled into keel: for working on the console without "
          "rebuilding Keel. Empty: the compiled-in copy.")};
}

Result<void> ConsoleModule::Register(ModuleContext& context) {
  if (!context.config().Bool("console.enabled")) return Ok();
  std::span<const Asset> assets = Assets();
  if (const std::string& dir = context.config().String("console.dir"); !dir.empty()) {
    auto files = ConsoleFiles::Read(dir);
    if (!files) return std::move(files).error();
    files_.emplace(std::move(*files));
    assets = files_->Assets();
  }
  // The page and its assets are the same for everyone and cost nothing to send: not rate limited.
  const http::RouteOptions options{.rate_policy = ""};
  auto& router = context.router();
  const Asset* page = FindAsset(assets, "/");
  router.Add(
      "GET", "/", [page](http::Request& request) { return Answer(page, request); }, options);
  router.Add(
      "GET", "/assets/{name}",
      [assets](http::Request& request) { return Answer(FindAsset(assets, request.path), request); }, options);
  return Ok();
}

}  // namespace keel::console
