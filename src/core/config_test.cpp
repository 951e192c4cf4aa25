// Unit tests of configuration: precedence, unknown keys, bad values and redaction.
#include "core/config.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace keel {
namespace {

ConfigSources Env(std::vector<std::pair<std::string, std::string>> environment) {
  ConfigSources sources;
  sources.environment = std::move(environment);
  return sources;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keel-config-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteToml(const std::string& text) {
    auto path = (dir_ / "keel.toml").string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsComeFromTheSchema) {
  Config config = Config::Defaults(PlatformConfigKeys());
  EXPECT_EQ(config.Int("server.port"), 8080);
  EXPECT_EQ(config.String("server.host"), "127.0.0.1");
  EXPECT_TRUE(config.Embedded());
}

TEST_F(ConfigTest, FileThenEnvironmentThenFlags) {
  ConfigSources sources;
  sources.file =
      WriteToml("[server]\nport = 9000\nhost = \"0.0.0.0\"\nio_threads = 3\n[log]\nlevel = \"debug\"\n");
  sources.environment = {{"KEEL_SERVER_PORT", "9100"}, {"KEEL_SERVER_IO_THREADS", "5"}, {"PATH", "/bin"}};
  sources.overrides = {{"server.port", "9200"}};
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->Int("server.port"), 9200);          // flag beats env and file
  EXPECT_EQ(config->Int("server.io_threads"), 5);       // env beats file
  EXPECT_EQ(config->String("server.host"), "0.0.0.0");  // file beats default
  EXPECT_EQ(config->String("log.level"), "debug");
}

TEST_F(ConfigTest, UnknownFileKeyIsNamed) {
  ConfigSources sources;
  sources.file = WriteToml("[server]\nprot = 9000\n");
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("server.prot"), std::string::npos);
}

// toml++ 3.3 reaches undefined behaviour on some non-ASCII characters (config.cpp): a config file is ASCII.
TEST_F(ConfigTest, NonAsciiIsRefusedWithItsLineAndTheEscapeToUse) {
  ConfigSources sources;
  for (const char* text :
       {"[server]\nport = 8080 \xc5\x86\n", "[server]\nhost = \"\xc3\xa9\"\n", "[server]\n# caf\xc3\xa9\n"}) {
    sources.file = WriteToml(text);
    auto config = Config::Load(sources, PlatformConfigKeys());
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_NE(
        config.error().message.find("line 2 has a non-ASCII character; write it in a string as a \\uXXXX"),
        std::string::npos)
        << config.error().message;
  }
  sources.file = WriteToml("[server]\nhost = \"\\u0030.0.0.0\"\n");
  auto escaped = Config::Load(sources, PlatformConfigKeys());
  ASSERT_TRUE(escaped.ok()) << escaped.error().message;
  EXPECT_EQ(escaped->String("server.host"), "0.0.0.0");
}

TEST_F(ConfigTest, UnknownSectionIsNamed) {
  ConfigSources sources;
  sources.file = WriteToml("[sever]\nport = 9000\n");
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("sever.port"), std::string::npos);
}

TEST_F(ConfigTest, UnknownEnvironmentKeyIsNamed) {
  ConfigSources sources;
  sources.environment = {{"KEEL_SERVER_PROT", "1"}};
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("KEEL_SERVER_PROT"), std::string::npos);
}

TEST_F(ConfigTest, NonConfigKeelVariablesAreIgnored) {
  ConfigSources sources;
  sources.environment = {{"KEEL_TEST_PG_URL", "postgres://x"}, {"KEEL_USER_PASSWORD", "secret"}};
  EXPECT_TRUE(Config::Load(sources, PlatformConfigKeys()).ok());
}

TEST_F(ConfigTest, WrongTypeInFileIsNamed) {
  ConfigSources sources;
  sources.file = WriteToml("[server]\nport = \"eighty\"\n");
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("server.port"), std::string::npos);
  EXPECT_NE(config.error().message.find("integer"), std::string::npos);
}

TEST_F(ConfigTest, OutOfRangeValueIsNamed) {
  ConfigSources sources;
  sources.environment = {{"KEEL_SERVER_PORT", "70000"}};
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("server.port"), std::string::npos);
  EXPECT_NE(config.error().message.find("65535"), std::string::npos);
}

TEST_F(ConfigTest, BadChoiceAndBadNumbersAreRejected) {
  EXPECT_FALSE(Config::Load(Env({{"KEEL_LOG_LEVEL", "loud"}}), PlatformConfigKeys()).ok());
  EXPECT_FALSE(Config::Load(Env({{"KEEL_SERVER_PORT", "80x"}}), PlatformConfigKeys()).ok());
  EXPECT_FALSE(Config::Load(Env({{"KEEL_LOG_ACCESS", "maybe"}}), PlatformConfigKeys()).ok());
  EXPECT_FALSE(Config::Load(Env({{"KEEL_DATABASE_URL", "mysql://x"}}), PlatformConfigKeys()).ok());
}

TEST_F(ConfigTest, MalformedTomlIsReported) {
  ConfigSources sources;
  sources.file = WriteToml("[server\nport = 1\n");
  auto config = Config::Load(sources, PlatformConfigKeys());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("line"), std::string::npos);
}

TEST_F(ConfigTest, ListsParseFromTomlAndEnvironment) {
  ConfigSources sources;
  sources.file = WriteToml("[cors]\nallowed_origins = [\"https://a.example\"]\n");
  auto from_file = Config::Load(sources, PlatformConfigKeys());
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->List("cors.allowed_origins"), std::vector<std::string>{"https://a.example"});
  auto from_env = Config::Load(Env({{"KEEL_CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example"}}),
                               PlatformConfigKeys());
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->List("cors.allowed_origins").size(), 2U);
}

TEST_F(ConfigTest, ShowNamesEachValuesSource) {
  Config config = Config::Defaults(PlatformConfigKeys());
  ASSERT_TRUE(config.Set("server.port", "9999").ok());
  std::string shown = config.Show();
  EXPECT_NE(shown.find("port = 9999  # flag"), std::string::npos);
  EXPECT_NE(shown.find("[server]"), std::string::npos);
}

TEST_F(ConfigTest, AKeyDeclaredTwiceIsABug) {
  ConfigSchema schema = PlatformConfigKeys();
  schema.push_back(schema.front());
  EXPECT_THROW((void)Config::Load(ConfigSources{}, schema), std::logic_error);
}

TEST_F(ConfigTest, ReadingAKeyOutsideTheSchemaIsABug) {
  Config config = Config::Defaults(PlatformConfigKeys());
  EXPECT_THROW((void)config.Int("server.nope"), std::logic_error);
  EXPECT_THROW((void)config.String("server.port"), std::logic_error);
}

}  // namespace
}  // namespace keel
