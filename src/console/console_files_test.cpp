// The console's files read from a folder (console.dir): served like the compiled-in copy; a folder without
// the page, or without its assets, refused at start-up.
#include "console/console_files.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "console/console_routes.hpp"
#include "http/compression.hpp"

namespace keel::console {
namespace {

class ConsoleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("keel-console-files-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "assets");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) { std::ofstream(dir_ / name) << content; }

  std::filesystem::path dir_;
};

TEST_F(ConsoleFilesTest, AFolderIsServedLikeTheCompiledInCopy) {
  Write("index.html", "<!doctype html><title>dev</title>");
  Write("assets/main-abc.js", "console.log('hello')");
  Write("assets/main-abc.css", "body{}");
  auto files = ConsoleFiles::Read(dir_);
  ASSERT_TRUE(files.ok()) << files.error().message;
  ASSERT_EQ(files->Assets().size(), 3u);
  const Asset* script = FindAsset(files->Assets(), "/assets/main-abc.js");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(http::Gunzip(script->gzip), "console.log('hello')");
  EXPECT_EQ(FindAsset(files->Assets(), "/assets/main-abc.css")->content_type, "text/css; charset=utf-8");
  const Asset* page = FindAsset(files->Assets(), "/");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->body, "<!doctype html><title>dev</title>");
  EXPECT_EQ(page->etag.size(), 22u);  // 20 hex digits, quoted

  // The views stay valid when the files move (the module keeps them in an optional).
  ConsoleFiles moved = std::move(*files);
  EXPECT_EQ(FindAsset(moved.Assets(), "/")->body, "<!doctype html><title>dev</title>");
}

TEST_F(ConsoleFilesTest, AFolderWithoutThePageIsRefused) {
  Write("assets/main.js", "1");
  auto files = ConsoleFiles::Read(dir_);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message.find("no index.html"), std::string::npos);
}

TEST_F(ConsoleFilesTest, APageWithoutItsAssetsIsRefused) {
  std::filesystem::remove_all(dir_ / "assets");
  Write("index.html", "<!doctype html>");
  auto files = ConsoleFiles::Read(dir_);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message.find("assets"), std::string::npos);
}

}  // namespace
}  // namespace keel::console
