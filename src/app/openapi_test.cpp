// The OpenAPI document and the router must describe the same routes, both ways.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/app.hpp"
#include "app/modules.hpp"
#include "http/openapi_document.hpp"

namespace keel {
namespace {

TEST(OpenApi, DocumentAndRouterAgree) {
  auto dir = std::filesystem::temp_directory_path() / "keel-openapi-test";
  std::filesystem::remove_all(dir);
  Config config = Config::Defaults(FullConfigSchema());
  ASSERT_TRUE(config.Set("database.url", "sqlite://" + (dir / "keel.db").string()).ok());
  ASSERT_TRUE(config.Set("auth.key_file", (dir / "jwt.key").string()).ok());
  ASSERT_TRUE(config.Set("auth.argon2_memory_kib", "8192").ok());
  auto app = App::Create(std::move(config));
  ASSERT_TRUE(app.ok()) << app.error().message;

  auto document = nlohmann::json::parse((*app)->openapi());
  EXPECT_EQ(document["openapi"], "3.1.0");
  std::set<std::string> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(upper + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << upper << " " << path;
    }
  }
  std::set<std::string> routed;
  for (const http::Route* route : (*app)->router().Routes())
    routed.insert(route->method + " " + route->pattern);
  for (const auto& route : routed)
    EXPECT_TRUE(documented.contains(route))
        << route << " is missing from the OpenAPI document (an openapi.json beside its module)";
  for (const auto& entry : documented)
    EXPECT_TRUE(routed.contains(entry)) << entry << " is documented but not routed";
  // What the pipeline answers on every route is declared on it, and every operation is named once.
  std::set<std::string> operation_ids;
  for (const http::Route* route : (*app)->router().Routes()) {
    std::string method = route->method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto& operation = document["paths"][route->pattern][method];
    const std::string where = route->method + " " + route->pattern;
    ASSERT_TRUE(operation.contains("operationId")) << where << " has no operationId";
    EXPECT_TRUE(operation_ids.insert(operation["operationId"].get<std::string>()).second)
        << where << " repeats operationId " << operation["operationId"];
    ASSERT_TRUE(operation.contains("security")) << where;
    const auto& responses = operation["responses"];
    EXPECT_TRUE(responses.contains("500")) << where;
    if (route->options.authenticated || route->options.admin_only) {
      EXPECT_EQ(operation["security"].size(), 1u) << where;
      EXPECT_TRUE(responses.contains("401")) << where;
      EXPECT_TRUE(responses.contains("429")) << where;
    } else {
      // Public to the user authenticator; a route with a credential of its own (an app's ingest key) names
      // that scheme and its 401.
      for (const auto& requirement : operation["security"]) {
        EXPECT_FALSE(requirement.contains("bearer")) << where << " is public but declares bearer security";
        EXPECT_TRUE(responses.contains("401")) << where;
      }
    }
    EXPECT_TRUE(!route->options.admin_only || responses.contains("403")) << where;
    EXPECT_TRUE(!route->options.json_body || responses.contains("415")) << where;
    EXPECT_TRUE(route->options.rate_policy.empty() || responses.contains("429")) << where;
  }
  EXPECT_TRUE(document["components"]["responses"].contains("TooManyRequests"));
  app = Error{ErrorCode::kInternal, "released"};
  std::filesystem::remove_all(dir);
}

TEST(OpenApi, APartThatRedeclaresAnOperationOrSchemaIsRefusedByName) {
  std::string base = R"({"paths": {"/health": {"get": {}}}, "components": {"schemas": {"Problem": {}}}})";
  auto twice = http::MergeOpenApi(base, {{"tasks", R"({"paths": {"/health": {"get": {}}}})"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("tasks"), std::string::npos);
  EXPECT_NE(twice.error().message.find("get /health"), std::string::npos);
  auto schema = http::MergeOpenApi(base, {{"sales", R"({"components": {"schemas": {"Problem": {}}}})"}});
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(schema.error().message.find("schema Problem"), std::string::npos);
  auto merged =
      http::MergeOpenApi(base, {{"tasks", R"({"paths": {"/health": {"head": {}}, "/t": {"get": {}}}})"}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  auto document = nlohmann::json::parse(*merged);
  EXPECT_TRUE(document["paths"]["/health"].contains("head"));
  EXPECT_TRUE(document["paths"].contains("/t"));
}

}  // namespace
}  // namespace keel
