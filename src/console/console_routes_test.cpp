// The console's files as HTTP answers: types, caching, gzip, 304s, and every file the page names present.
#include "console/console_routes.hpp"

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
  // (No std::regex: g++ 12 warns about its internals under the sanitizers' -O1.)
  const std::string_view page = Page().body;
  int found = 0;
  for (std::size_t at = page.find("=\"/assets/"); at != std::string_view::npos;
       at = page.find("=\"/assets/", at + 1)) {
    const std::string_view path = page.substr(at + 2, page.find('"', at + 2) - (at + 2));
    const Asset* asset = FindAsset(Assets(), path);
    ASSERT_NE(asset, nullptr) << path;
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
