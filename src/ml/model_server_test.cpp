// The dynamic model set: registry models load on first use, at most max_loaded stay loaded (least recently
// used unloaded), models and versions added while serving are found, and the change feed reloads what is
// loaded without listing every model.
#include "ml/model_server.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "ml/model_trainer.hpp"
#include "ml/registry_changes.hpp"

namespace keel::ml {
namespace {

class ModelServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("keel-models-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "models");
    std::ofstream csv(dir_ / "data.csv");
    csv << "a,b,y\n";
    for (int i = 0; i < 200; ++i) csv << i << "," << (i % 7) << "," << (3 * i + 10 * (i % 7)) << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Trains a new version of `name`; returns it.
  std::string Train(const std::string& name) {
    TrainRequest request;
    request.model_name = name;
    request.data = dir_ / "data.csv";
    request.model_dir = dir_ / "models";
    request.options.rounds = 5;
    auto trained = TrainModelVersion(request, nullptr);
    EXPECT_TRUE(trained.ok()) << trained.error().message;
    return trained->meta.version;
  }

  // A copy of `from`'s newest version as model `name` (how the benchmark makes thousands of models).
  void Clone(const std::string& from, const std::string& name) {
    auto source = dir_ / "models" / from;
    std::string version = std::filesystem::directory_iterator(source)->path().filename().string();
    auto target = dir_ / "models" / name / version;
    std::filesystem::create_directories(target);
    std::filesystem::copy(source / version, target);
    std::ifstream in(target / "meta.json");
    auto meta = nlohmann::json::parse(in);
    meta["name"] = name;
    std::ofstream(target / "meta.json") << meta.dump();
  }

  std::unique_ptr<ModelServer> Server(bool serve_registry, std::size_t max_loaded) {
    ModelServerOptions options;
    options.serve_registry = serve_registry;
    options.max_loaded = max_loaded;
    return std::make_unique<ModelServer>(dir_ / "models", options, metrics_);
  }

  std::filesystem::path dir_;
  Metrics metrics_;
};

TEST_F(ModelServerTest, RegistryModelsLoadOnFirstUseAndTheLeastRecentlyUsedIsUnloaded) {
  Train("toy");
  for (const char* name : {"a", "b", "c"}) Clone("toy", name);
  auto server = Server(true, 2);
  server->Start(std::chrono::milliseconds(0));
  EXPECT_EQ(server->Get("a"), nullptr) << "nothing loads before it is used";
  ASSERT_TRUE(server->Acquire("a").ok());
  ASSERT_TRUE(server->Acquire("b").ok());
  EXPECT_EQ(server->Loaded(), 2U);
  EXPECT_NE(server->Get("a"), nullptr);  // a is now the most recently used
  auto c = server->Acquire("c");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)->meta.name, "c");
  EXPECT_EQ(server->Loaded(), 2U);
  EXPECT_EQ(server->Get("b"), nullptr) << "b was the least recently used";
  EXPECT_NE(server->Get("a"), nullptr);
  ASSERT_TRUE(server->Acquire("b").ok()) << "an unloaded model loads again on its next use";
  server->Stop();
}

TEST_F(ModelServerTest, OnlyRegistryModelsWithAVersionAreServed) {
  Train("toy");
  auto strict = Server(false, 10);
  EXPECT_EQ(strict->Acquire("toy").error().code, ErrorCode::kNotFound) << "ml.serve_registry off";
  auto server = Server(true, 10);
  EXPECT_EQ(server->Acquire("missing").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(server->Acquire("../models").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(server->Acquire("Toy").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(server->Acquire("toy").ok());
}

TEST_F(ModelServerTest, ModelsAndVersionsAddedWhileServingAreFound) {
  Train("toy");
  auto server = Server(true, 10);
  server->Start(std::chrono::milliseconds(10));
  Clone("toy", "late");
  auto late = server->Acquire("late");
  ASSERT_TRUE(late.ok()) << late.error().message;
  std::string first = (*late)->meta.version;

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // version names have a second's resolution
  std::string second = Train("late");                            // announced on the change feed
  ASSERT_NE(second, first);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server->Get("late")->meta.version != second && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server->Get("late")->meta.version, second) << "the watcher reloads a loaded model from the feed";
  server->Stop();
}

TEST(ChangeFeed, ReadsWhatWasAppendedSinceItsLastPollOnce) {
  auto root = std::filesystem::temp_directory_path() / "keel-change-feed";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  ASSERT_TRUE(AnnounceVersion(root, "before", "v1").ok());
  ChangeFeed feed(root);
  EXPECT_TRUE(feed.Poll().models.empty()) << "what was there before is found by loading, not by the feed";
  ASSERT_TRUE(AnnounceVersion(root, "a", "v1").ok());
  ASSERT_TRUE(AnnounceVersion(root, "b", "v1").ok());
  ASSERT_TRUE(AnnounceVersion(root, "a", "v2").ok());
  EXPECT_EQ(feed.Poll().models, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(feed.Poll().models.empty());
  std::ofstream(ChangeLogPath(root), std::ios::app) << "c v1";  // a line still being written
  EXPECT_TRUE(feed.Poll().models.empty());
  std::ofstream(ChangeLogPath(root), std::ios::app) << "\n";
  EXPECT_EQ(feed.Poll().models, std::vector<std::string>{"c"});
  std::filesystem::remove(ChangeLogPath(root));
  ASSERT_TRUE(AnnounceVersion(root, "d", "v1").ok());
  auto replaced = feed.Poll();
  EXPECT_TRUE(replaced.restarted);
  EXPECT_EQ(replaced.models, std::vector<std::string>{"d"});
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace keel::ml
