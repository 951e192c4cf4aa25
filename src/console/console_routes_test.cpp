#include "console/console_routes.hpp"

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "http/compression.hpp"

namespace keel::console {
namespace {

http::Request Get(std::string path, std::string accept_encoding = "", std::string if_none_match = "") {
  http::Request request;
  request.method = "GET";
  request.path = std::move(path);
  if (!accept_encoding.empty()) request.headers.Add("Accept-Encoding", std::move(accept_encoding));
  if (!if_none_match.empty()) request.headers.Add("If-None-Match", std::move(if_none_match));
  return request;
}

const Asset& Page() {
  const Asset* page = FindAsset(Assets(), "/");
  EXPECT_NE(page, nullptr);
  return *page;
}

TEST(ConsoleRoutes, ThePageRunsUnderTheContentSecurityPolicyAndIsRevalidated) {
  auto response = ServeAsset(Page(), Get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(response.headers.Get("Content-Security-Policy"), kContentSecurityPolicy);
  EXPECT_EQ(response.headers.Get("Cache-Control"), "no-cache");
  EXPECT_FALSE(response.headers.Has("Content-Encoding"));
  EXPECT_NE(response.body.find("<title>Keel console</title>"), std::string::npos);
}

TEST(ConsoleRoutes, EveryFileThePageNamesIsServedAndCachedForAYear) {
  const std::string page(Page().body);
  const std::regex reference(R"re((href|src)="(/assets/[^"]+)")re");
  int found = 0;
  for (std::sregex_iterator it(page.begin(), page.end(), reference), end; it != end; ++it) {
    const Asset* asset = FindAsset(Assets(), (*it)[2].str());
    ASSERT_NE(asset, nullptr) << (*it)[2];
    auto response = ServeAsset(*asset, Get(std::string(asset->path)));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_FALSE(response.headers.Has("Content-Security-Policy"));
    ++found;
  }
  EXPECT_GE(found, 3) << "the icon, the styles and the entry script";
  EXPECT_EQ(FindAsset(Assets(), "/assets/no-such-file.js"), nullptr);
}

TEST(ConsoleRoutes, GzipWhenTheClientTakesItAndTheSameBytesUnpacked) {
  for (const Asset& asset : Assets()) {
    auto response = ServeAsset(asset, Get(std::string(asset.path), "gzip, deflate"));
    EXPECT_EQ(response.headers.Get("Content-Encoding"), "gzip") << asset.path;
    EXPECT_EQ(response.headers.Get("Vary"), "Accept-Encoding");
    EXPECT_EQ(http::Gunzip(response.body), asset.body) << asset.path;
  }
  auto refused = ServeAsset(Page(), Get("/", "gzip;q=0"));
  EXPECT_FALSE(refused.headers.Has("Content-Encoding"));
}

TEST(ConsoleRoutes, ACurrentCopyIsAnswered304WithoutABody) {
  const std::string etag(Page().etag);
  for (const std::string& if_none_match : {etag, "W/" + etag, "\"old\", " + etag, std::string("*")}) {
    auto response = ServeAsset(Page(), Get("/", "gzip", if_none_match));
    EXPECT_EQ(response.status, 304) << if_none_match;
    EXPECT_TRUE(response.body.empty());
    EXPECT_EQ(response.headers.Get("ETag"), etag);
  }
  EXPECT_EQ(ServeAsset(Page(), Get("/", "", "\"old\"")).status, 200);
}

}  // namespace
}  // namespace keel::console
