// The blob store on a real folder, and the reference counts and sweep on a real SQLite file.
#include <utility>  // before Boost

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "core/sha256.hpp"
#include "storage/blobs/blob_refs.hpp"
#include "storage/blobs/blob_store.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::blobs {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("keel-blobs-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(root_);
    ASSERT_TRUE(store_.Open().ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::size_t Temporaries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(root_ / "tmp"), fs::directory_iterator()));
  }
  // Makes a file look `seconds` old.
  static void Age(const fs::path& path, int seconds) {
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(seconds));
  }

  fs::path root_;
  BlobStore store_{
      fs::temp_directory_path() /
      ("keel-blobs-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()))};
};

TEST_F(BlobStoreTest, StoresByContentOnce) {
  auto first = store_.Put("hello");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->sha256, Sha256Hex("hello"));
  EXPECT_EQ(first->size, 5u);
  EXPECT_TRUE(fs::exists(store_.PathOf(first->sha256)));
  EXPECT_EQ(store_.PathOf(first->sha256).parent_path().parent_path().filename(), first->sha256.substr(0, 2));

  auto second = store_.Put("hello");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_EQ(store_.List().size(), 1u);
  EXPECT_EQ(Temporaries(), 0u);
  EXPECT_EQ(store_.SizeOf(first->sha256).value_or(0), 5u);
  auto read = store_.Read(first->sha256, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "hello");
  EXPECT_EQ(store_.Read(first->sha256, 4).error().code, ErrorCode::kTooLarge);
}

TEST_F(BlobStoreTest, WritesInPiecesAndLeavesNothingWhenAbandoned) {
  {
    auto writer = store_.Create();
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE(writer->Write("abc").ok());
    EXPECT_EQ(Temporaries(), 1u);
  }  // destroyed before Commit
  EXPECT_EQ(Temporaries(), 0u);
  EXPECT_TRUE(store_.List().empty());

  auto writer = store_.Create();
  ASSERT_TRUE(writer.ok());
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(writer->Write(std::string(1000, static_cast<char>('a' + i % 26))).ok());
  auto info = writer->Commit();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 100000u);
  auto read = store_.Read(info->sha256, 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(info->sha256, Sha256Hex(*read));
}

TEST_F(BlobStoreTest, DamagedBlobIsReportedNotServed) {
  auto info = store_.Put("precious");
  ASSERT_TRUE(info.ok());
  std::ofstream(store_.PathOf(info->sha256)) << "tampered";
  auto read = store_.Read(info->sha256, 100);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("damaged"), std::string::npos);
  EXPECT_EQ(store_.Read("../../etc/passwd", 100).error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(store_.SizeOf("nope"));
}

TEST_F(BlobStoreTest, SweepRemovesOnlyWhatNothingWants) {
  // Declared first, so it outlives the database and pool threads that post their answers into it.
  boost::asio::io_context io;
  Metrics metrics;
  BlockingPool pool("test", 1, 16, metrics);
  fs::path db_path = root_.string() + ".db";
  auto db = sql::SqliteDatabase::Open({.path = db_path.string(), .pool_size = 1}, metrics);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate(Migrations("sqlite")).ok());
  sql::Database& database = **db;
  constexpr std::int64_t kNow = 1'800'000'000'000;
  const auto grace = std::chrono::seconds(3600);

  auto kept = store_.Put("kept"), released = store_.Put("released"), fresh = store_.Put("fresh-release"),
       orphan = store_.Put("orphan"), new_orphan = store_.Put("new orphan");
  for (auto* blob : {&kept, &released, &fresh, &orphan}) ASSERT_TRUE(blob->ok());
  // Two references to `kept`, one released; `released` let go two hours ago; `fresh` a minute ago.
  std::vector<sql::Statement> statements = {AddRef(*kept),
                                            AddRef(*kept),
                                            Release(kept->sha256, kNow - 7200000),
                                            AddRef(*released),
                                            Release(released->sha256, kNow - 7200000),
                                            AddRef(*fresh),
                                            Release(fresh->sha256, kNow - 60000)};
  ASSERT_TRUE(RunToCompletion(io, database.WriteAll(std::move(statements))).ok());
  for (auto* blob : {&kept, &released, &fresh, &orphan}) Age(store_.PathOf((*blob)->sha256), 7200);
  auto crashed = store_.Create();
  ASSERT_TRUE(crashed.ok() && crashed->Write("half").ok());
  for (const auto& entry : fs::directory_iterator(root_ / "tmp")) Age(entry.path(), 7200);

  auto report = RunToCompletion(io, Sweep(database, store_, pool, kNow, grace));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->released, 1u);
  EXPECT_EQ(report->orphans, 1u);
  EXPECT_EQ(report->temporaries, 1u);
  EXPECT_TRUE(store_.SizeOf(kept->sha256));
  EXPECT_FALSE(store_.SizeOf(released->sha256));
  EXPECT_TRUE(store_.SizeOf(fresh->sha256));  // released within the grace period
  EXPECT_FALSE(store_.SizeOf(orphan->sha256));
  EXPECT_TRUE(store_.SizeOf(new_orphan->sha256));  // written within the grace period: its row may be coming
  auto rows = RunToCompletion(io, database.Query("SELECT sha256, refs FROM blob_refs ORDER BY sha256"));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows.size(), 2u);

  // A released blob stored again within the grace period (an upload of the same bytes) keeps its file.
  ASSERT_TRUE(RunToCompletion(io, database.WriteAll({Release(fresh->sha256, kNow - 7200000)})).ok());
  ASSERT_TRUE(store_.Put("fresh-release").ok());  // refreshes the file's time
  report = RunToCompletion(io, Sweep(database, store_, pool, kNow, grace));
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(store_.SizeOf(fresh->sha256));
  pool.Stop();
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path.string() + suffix);
}

}  // namespace
}  // namespace keel::blobs
