// The OpenAPI document and the router must describe the same routes, both ways.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/app.hpp"
#include "http/ops_routes.hpp"

namespace keel::http {
namespace {

TEST(OpenApi, DocumentAndRouterAgree) {
  auto dir = std::filesystem::temp_directory_path() / "keel-openapi-test";
  std::filesystem::remove_all(dir);
  Config config = Config::Defaults();
  ASSERT_TRUE(config.Set("database.url", "sqlite://" + (dir / "keel.db").string()).ok());
  ASSERT_TRUE(config.Set("auth.key_file", (dir / "jwt.key").string()).ok());
  ASSERT_TRUE(config.Set("auth.argon2_memory_kib", "8192").ok());
  auto app = App::Create(std::move(config));
  ASSERT_TRUE(app.ok()) << app.error().message;

  auto document = nlohmann::json::parse(OpenApiDocument());
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
  for (const Route* route : (*app)->router().Routes()) routed.insert(route->method + " " + route->pattern);
  for (const auto& route : routed)
    EXPECT_TRUE(documented.contains(route)) << route << " is missing from api/openapi.json";
  for (const auto& entry : documented)
    EXPECT_TRUE(routed.contains(entry)) << entry << " is documented but not routed";
  app = Error{ErrorCode::kInternal, "released"};
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::http
