// The console's files read from a folder (console.dir): served like the compiled-in copy; a folder without
// the page, or without its assets, refused at start-up.
#include "console/console_files.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "console/console_routes.hpp"

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

// The build writes the folder (build/<preset>/console) and the compiled-in copy in one run of build.mjs.
TEST(ConsoleFiles, TheBuildsFolderIsServedExactlyLikeTheCompiledInCopy) {
  auto files = ConsoleFiles::Read(std::filesystem::path(KEEL_BINARY_DIR) / "console");
  ASSERT_TRUE(files.ok()) << files.error().message;
  ASSERT_EQ(files->Assets().size(), Assets().size());
  for (const Asset& built_in : Assets()) {
    const Asset* read = FindAsset(files->Assets(), built_in.path);
    ASSERT_NE(read, nullptr) << built_in.path;
    EXPECT_EQ(read->content_type, built_in.content_type) << built_in.path;
    EXPECT_EQ(read->etag, built_in.etag) << built_in.path;
    EXPECT_EQ(read->body, built_in.body) << built_in.path;
    EXPECT_EQ(read->gzip, built_in.gzip) << built_in.path;
  }
  // The views stay valid when the files move (the module keeps them in an optional).
  ConsoleFiles moved = std::move(*files);
  EXPECT_EQ(FindAsset(moved.Assets(), "/")->body, FindAsset(Assets(), "/")->body);
}

TEST_F(ConsoleFilesTest, AFolderWithoutItsManifestIsRefused) {
  Write("index.html", "<!doctype html>");
  auto files = ConsoleFiles::Read(dir_);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message.find("no manifest.json"), std::string::npos);
}

TEST_F(ConsoleFilesTest, AManifestThatIsNotAListOfFilesIsRefused) {
  for (const std::string& manifest :
       {std::string("{\"path\": \"/\"}"), std::string("[{\"path\": \"/\"}]"), std::string("not json")}) {
    Write("manifest.json", manifest);
    auto files = ConsoleFiles::Read(dir_);
    ASSERT_FALSE(files.ok()) << manifest;
    EXPECT_NE(files.error().message.find("manifest.json"), std::string::npos) << files.error().message;
  }
}

TEST_F(ConsoleFilesTest, AListedFileThatIsMissingOrNoPageIsRefused) {
  Write("index.html", "<!doctype html>");
  Write("index.html.gz", "gz");
  Write(
      "manifest.json",
      R"([{"path": "/", "type": "text/html", "etag": "\"a\"", "body": "index.html", "gzip": "index.html.gz"},
            {"path": "/assets/x.js", "type": "text/javascript", "etag": "\"b\"", "body": "assets/x.js",
             "gzip": "assets/x.js.gz"}])");
  auto missing = ConsoleFiles::Read(dir_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("assets/x.js"), std::string::npos) << missing.error().message;

  Write("assets/x.js", "1");
  Write("assets/x.js.gz", "gz");
  auto whole = ConsoleFiles::Read(dir_);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(FindAsset(whole->Assets(), "/assets/x.js")->etag, "\"b\"");

  Write("manifest.json",
        R"([{"path": "/assets/x.js", "type": "text/javascript", "etag": "\"b\"", "body": "assets/x.js",
             "gzip": "assets/x.js.gz"}])");
  auto pageless = ConsoleFiles::Read(dir_);
  ASSERT_FALSE(pageless.ok());
  EXPECT_NE(pageless.error().message.find("no page"), std::string::npos) << pageless.error().message;
}

}  // namespace
}  // namespace keel::console
