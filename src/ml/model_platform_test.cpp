// ModelPlatform::Announce: a version an in-process trainer publishes goes on the change feed for every
// process and is served here at once, without waiting for the watcher.
#include "ml/model_platform.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "ml/ml_config.hpp"
#include "ml/model_trainer.hpp"
#include "ml/registry_changes.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/pubsub/local_pubsub.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::ml {
namespace {

TEST(ModelPlatform, AnAnnouncedVersionIsOnTheFeedAndServedAtOnce) {
  auto dir = std::filesystem::temp_directory_path() / "keel-platform-announce";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "models");
  {
    std::ofstream csv(dir / "data.csv");
    csv << "a,b,y\n";
    for (int i = 0; i < 200; ++i) csv << i << "," << (i % 7) << "," << (3 * i + 10 * (i % 7)) << "\n";
  }
  auto train = [&] {
    TrainRequest request;
    request.model_name = "toy";
    request.data = dir / "data.csv";
    request.model_dir = dir / "models";
    request.options.rounds = 5;
    auto trained = TrainModelVersion(request, nullptr);
    EXPECT_TRUE(trained.ok()) << trained.error().message;
    return trained->meta.version;
  };
  std::string first = train();

  ConfigSchema schema = PlatformConfigKeys();
  for (auto& key : ConfigKeys()) schema.push_back(key);
  Config config = Config::Defaults(schema);
  ASSERT_TRUE(config.Set("ml.model_dir", (dir / "models").string()).ok());
  ASSERT_TRUE(config.Set("ml.models", "").ok());
  ASSERT_TRUE(config.Set("ml.log_enabled", "false").ok());
  boost::asio::io_context io;  // outlives the pool thread that answers into it
  Metrics metrics;
  ManualClock clock;
  BlockingPool pool("test", 1, 16, metrics);
  kv::MemoryKv kv(kv::MemoryKvOptions{}, clock);
  auto db = sql::SqliteDatabase::Open({.path = (dir / "keel.db").string(), .pool_size = 1}, metrics);
  ASSERT_TRUE(db.ok()) << db.error().message;
  pubsub::LocalPubSub pubsub;
  auto platform = ModelPlatform::Create(config, **db, kv, pubsub, clock, pool, metrics);
  ASSERT_TRUE(platform.ok()) << platform.error().message;

  // Loaded as a trainer would after writing its first version (the reload route does the same).
  auto loaded = RunToCompletion(io, (*platform)->Reload("toy"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*platform)->Get("toy")->meta.version, first);

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // version names have a second's resolution
  std::string second = train();
  ChangeFeed feed(dir / "models");  // a process that starts listening now
  ASSERT_TRUE((*platform)->Announce("toy", second).ok());
  EXPECT_EQ((*platform)->Get("toy")->meta.version, second) << "served here without the watcher (not started)";
  EXPECT_EQ(feed.Poll().models, std::vector<std::string>{"toy"}) << "and announced to every other process";
  pool.Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace keel::ml
