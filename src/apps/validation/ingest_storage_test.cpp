// The ingest path's storage on a real SQLite database: stored events read back page by page, and rollup
// counts from several instances adding up in the shared tables (the merge the dashboard reads).
#include <filesystem>

#include <gtest/gtest.h>

#include "apps/validation/event_writer.hpp"
#include "apps/validation/ingest_targets.hpp"
#include "apps/validation/log_reader.hpp"
#include "apps/validation/rollup_counters.hpp"
#include "apps/validation/rollup_flusher.hpp"
#include "apps/validation/validation_module.hpp"
#include "core/clock.hpp"
#include "core/run_to_completion.hpp"
#include "core/sha256.hpp"
#include "storage/pubsub/local_pubsub.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::validation {
namespace {

class IngestStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("keel-ingest-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             ".db");
    Cleanup();
    auto db = sql::SqliteDatabase::Open({.path = path_.string(), .pool_size = 2}, metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    std::vector<sql::Migration> migrations = {
        {1, "users", "CREATE TABLE users (id TEXT PRIMARY KEY); INSERT INTO users VALUES ('u');"}};
    for (const auto& migration : Migrations("sqlite")) migrations.push_back(migration);
    ASSERT_TRUE(db_->Migrate(migrations).ok());
    for (const char* app : {"app-1", "app-2"})
      ASSERT_TRUE(
          Run(db_->Execute("INSERT INTO validation_apps (id, owner_id, name, mode, created_at, updated_at) "
                           "VALUES (?, 'u', 'x', 'flag', 't', 't')",
                           sql::Args(app)))
              .ok());
  }
  void TearDown() override {
    db_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  template <class T>
  T Run(Task<T> task) {
    return RunToCompletion(io_, std::move(task));
  }
  std::int64_t Count(const std::string& sql) {
    auto rows = Run(db_->Query(sql));
    EXPECT_TRUE(rows.ok());
    return rows->Int(0, 0).value_or(-1);
  }

  static StoredEvent Event(std::int64_t n, bool valid = true) {
    StoredEvent event;
    event.app_id = "app-1";
    event.event_name = n % 2 ? "purchase" : "signup";
    event.created_ms = 1'000 + n / 10;  // ten events share each millisecond: the id breaks the ties
    event.event_ms = event.created_ms;
    event.properties = "{\"n\":" + std::to_string(n) + "}";
    event.valid = valid;
    if (!valid) event.violations = R"([{"path":"/properties/n","rule":"minimum","message":"too small"}])";
    event.rules_version = 3;
    return event;
  }

  std::filesystem::path path_;
  Metrics metrics_;
  boost::asio::io_context io_;
  std::unique_ptr<sql::Database> db_;
};

TEST(ChunkedInserts, ABatchIsAFewStatementsOfAFewShapes) {
  std::vector<StoredEvent> rows(1000);
  EXPECT_TRUE(InsertEvents("sqlite", "log_entries", {}).empty());
  EXPECT_EQ(InsertEvents("sqlite", "log_entries", std::vector<StoredEvent>(100)).size(), 3u);  // 64 + 32 + 4
  auto statements = InsertEvents("sqlite", "log_entries", rows);
  EXPECT_EQ(statements.size(), 10u);  // 7 x 128 + 64 + 32 + 8
  std::size_t params = 0;
  for (const auto& statement : statements) params += statement.params.size();
  EXPECT_EQ(params, 1000u * 9u);
  EXPECT_EQ(InsertEvents("postgres", "failed_events", rows).size(), 1u);
}

TEST_F(IngestStorageTest, StoredEventsReadBackNewestFirstPageByPage) {
  std::vector<StoredEvent> logged;
  for (int n = 0; n < 250; ++n) logged.push_back(Event(n, n % 5 != 0));
  std::vector<StoredEvent> failed = {Event(1000, false)};
  EventWriter writer(*db_);
  ASSERT_TRUE(Run(writer.Write(logged, failed)).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM log_entries"), 250);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM failed_events"), 1);

  LogReader reader(*db_);
  std::vector<std::int64_t> seen;
  LogQuery query;
  query.limit = 60;
  for (;;) {
    auto page = Run(reader.Logs("app-1", query));
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const auto& item : (*page)["items"]) seen.push_back(item["properties"]["n"].get<std::int64_t>());
    if ((*page)["next_cursor"].is_null()) break;
    query.after = DecodeLogCursor((*page)["next_cursor"].get<std::string>());
  }
  ASSERT_EQ(seen.size(), 250u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 249 - static_cast<std::int64_t>(i));

  LogQuery invalid;
  invalid.valid = false;
  invalid.limit = 1000;
  auto page = Run(reader.Logs("app-1", invalid));
  ASSERT_EQ((*page)["items"].size(), 50u);
  EXPECT_EQ((*page)["items"][0]["violations"][0]["rule"], "minimum");
  auto kept_aside = Run(reader.Failed("app-1", LogQuery{}));
  ASSERT_EQ((*kept_aside)["items"].size(), 1u);
  EXPECT_FALSE((*kept_aside)["items"][0].contains("valid"));
  EXPECT_EQ((*Run(reader.Logs("app-2", LogQuery{})))["items"].size(), 0u);
}

TEST_F(IngestStorageTest, AnAppChangedOnOneInstanceIsReloadedByEveryOther) {
  ASSERT_TRUE(Run(db_->Execute("INSERT INTO validation_ingest_keys (key_hash, app_id, prefix, created_at) "
                               "VALUES (?, 'app-1', 'lvd_', 't')",
                               sql::Args(Sha256Hex("lvd_the-key"))))
                  .ok());
  pubsub::LocalPubSub pubsub;  // one deployment's messages; two instances' caches
  SystemClock clock;
  IngestTargets here(*db_, pubsub, clock, metrics_), there(*db_, pubsub, clock, metrics_);
  auto mode = [&](IngestTargets& targets) {
    auto target = Run(targets.Find("lvd_the-key"));
    EXPECT_TRUE(target.ok());
    return target.ok() && (*target)->block_mode ? "block" : "flag";
  };
  EXPECT_STREQ(mode(there), "flag");
  ASSERT_TRUE(Run(db_->Execute("UPDATE validation_apps SET mode = 'block' WHERE id = 'app-1'")).ok());
  EXPECT_STREQ(mode(there), "flag");  // cached: nothing told it
  here.Changed("app-1");
  EXPECT_STREQ(mode(there), "block");
  ASSERT_TRUE(Run(db_->Execute("UPDATE validation_apps SET mode = 'flag' WHERE id = 'app-1'")).ok());
  pubsub.Publish(std::string(pubsub::kResubscribedChannel),
                 "");  // messages may have been missed: start again
  EXPECT_STREQ(mode(there), "flag");
  EXPECT_EQ(Run(there.Find("lvd_another-key")).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(Run(there.Find("keel_not-an-ingest-key")).error().code, ErrorCode::kUnauthenticated);
}

TEST(RollupCounters, CountPerMinuteAndEventAndDrainToNothing) {
  RollupCounters counters;
  std::vector<Violation> enum_broken = {{"/properties/plan", "enum", "x"}};
  std::vector<CountedEvent> batch = {{"signup", false, false, nullptr},
                                     {"signup", true, true, &enum_broken},
                                     {"purchase", false, false, nullptr}};
  counters.Add("app-1", MinuteOf(125'000), batch);
  counters.Add("app-1", MinuteOf(130'000), batch);
  Rollups drained = counters.Drain();
  EXPECT_TRUE(counters.Drain().empty());
  ASSERT_EQ(drained.events.size(), 2u);
  const EventCount& signup = drained.events.at({"app-1", 120'000, "signup"});
  EXPECT_EQ(signup.events, 4);
  EXPECT_EQ(signup.invalid, 2);
  EXPECT_EQ(signup.blocked, 2);
  EXPECT_EQ(drained.violations.at({"app-1", 120'000, "signup", "/properties/plan", "enum"}), 2);
  counters.Restore(drained);
  counters.Add("app-1", 120'000, batch);
  EXPECT_EQ(counters.Drain().events.at({"app-1", 120'000, "purchase"}).events, 3);
  EXPECT_EQ(MinuteOf(-1), -60'000);
}

TEST(RollupCounters, InventedNamesBeyondTheBoundCountAsOther) {
  RollupCounters counters;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kMaxRollupKeys + 50; ++i) names.push_back("event-" + std::to_string(i));
  std::vector<CountedEvent> batch;
  for (const auto& name : names) batch.push_back({name, false, false, nullptr});
  counters.Add("app-1", 0, batch);
  Rollups drained = counters.Drain();
  EXPECT_EQ(drained.events.size(), kMaxRollupKeys + 1);
  EXPECT_EQ(drained.events.at({"app-1", 0, std::string(kOtherName)}).events, 50);
}

TEST_F(IngestStorageTest, EveryInstancesFlushAddsUpInTheSharedRollups) {
  // Two instances' counters, each flushed by its own flusher, some keys shared: the rows hold the sums.
  RollupCounters first, second;
  RollupFlusher first_flusher(*db_, first, metrics_), second_flusher(*db_, second, metrics_);
  std::vector<Violation> broken = {{"/properties/n", "minimum", "x"}};
  std::vector<CountedEvent> batch = {{"signup", true, false, &broken}, {"purchase", false, false, nullptr}};
  first.Add("app-1", 60'000, batch);
  second.Add("app-1", 60'000, batch);
  second.Add("app-2", 120'000, batch);
  ASSERT_TRUE(first_flusher.FlushNow().ok());
  ASSERT_TRUE(second_flusher.FlushNow().ok());
  first.Add("app-1", 60'000, batch);
  ASSERT_TRUE(first_flusher.FlushNow().ok());
  EXPECT_EQ(Count("SELECT events FROM validation_rollups WHERE app_id = 'app-1' AND event_name = 'signup'"),
            3);
  EXPECT_EQ(Count("SELECT invalid FROM validation_rollups WHERE app_id = 'app-1' AND event_name = 'signup'"),
            3);
  EXPECT_EQ(Count("SELECT SUM(events) FROM validation_rollups"), 8);
  EXPECT_EQ(Count("SELECT count FROM validation_violation_rollups WHERE app_id = 'app-1'"), 3);
  EXPECT_TRUE(first_flusher.FlushNow().ok());  // nothing counted: nothing written
  db_.reset();  // before the flushers: the database's threads answer into their event loops
}

TEST_F(IngestStorageTest, AFailedFlushKeepsItsCountsForTheNext) {
  RollupCounters counters;
  RollupFlusher flusher(*db_, counters, metrics_);
  std::vector<CountedEvent> batch = {{"signup", false, false, nullptr}};
  counters.Add("app-1", 0, batch);
  ASSERT_TRUE(Run(db_->Execute("ALTER TABLE validation_rollups RENAME TO rollups_away")).ok());
  EXPECT_FALSE(flusher.FlushNow().ok());
  ASSERT_TRUE(Run(db_->Execute("ALTER TABLE rollups_away RENAME TO validation_rollups")).ok());
  counters.Add("app-1", 0, batch);
  ASSERT_TRUE(flusher.FlushNow().ok());
  EXPECT_EQ(Count("SELECT events FROM validation_rollups"), 2);
  db_.reset();  // before the flusher: the database's threads answer into its event loop
}

}  // namespace
}  // namespace keel::validation
