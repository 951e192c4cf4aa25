// TrafficRouter: plans checked before they are stored, applied where they were set at once, on another
// instance through the announcement or, when that is lost, the poll; cleared; and applied again at start.
#include "ml/traffic_router.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "core/blocking_pool.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "ml/model_trainer.hpp"
#include "ml/models_module.hpp"
#include "storage/pubsub/local_pubsub.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::ml {
namespace {

namespace fs = std::filesystem;

// Rewrites a version's meta.json through `edit`.
void EditMeta(const fs::path& version, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json meta;
  {
    std::ifstream in(version / "meta.json");
    in >> meta;
  }
  edit(meta);
  std::ofstream(version / "meta.json") << meta.dump();
}

class TrafficRouterTest : public ::testing::Test {
 protected:
  // One toy model trained once, then copied as the versions v1..v3 (the same predictions; what a test
  // checks is which version answered), v-renamed (other feature names) and v-broken (a validation sample it
  // does not reproduce).
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("keel-traffic-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "models");
    {
      std::ofstream csv(dir_ / "data.csv");
      csv << "a,b,y\n";
      for (int i = 0; i < 200; ++i) csv << i << "," << (i % 7) << "," << (3 * i + 10 * (i % 7)) << "\n";
    }
    TrainRequest request;
    request.model_name = "toy";
    request.data = dir_ / "data.csv";
    request.model_dir = dir_ / "models";
    request.options.rounds = 5;
    auto trained = TrainModelVersion(request, nullptr);
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    fs::path original = dir_ / "models" / "toy" / trained->meta.version;
    for (const char* version : {"v1", "v2", "v3", "v-renamed", "v-broken"}) {
      fs::copy(original, dir_ / "models" / "toy" / version, fs::copy_options::recursive);
      EditMeta(dir_ / "models" / "toy" / version,
               [version](nlohmann::json& meta) { meta["version"] = version; });
    }
    EditMeta(dir_ / "models" / "toy" / "v-renamed",
             [](nlohmann::json& meta) { meta["features"][0]["name"] = "area"; });
    EditMeta(dir_ / "models" / "toy" / "v-broken", [](nlohmann::json& meta) {
      for (auto& expected : meta["validation_sample"]["expected"]) expected = expected.get<double>() + 1000;
    });
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void SetUp() override {
    fs::remove(dir_ / "keel.db");
    auto db = sql::SqliteDatabase::Open({.path = (dir_ / "keel.db").string(), .pool_size = 1}, metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate(Migrations("sqlite")).ok());
  }

  // An instance: its own router (and metrics) on the shared database.
  std::unique_ptr<TrafficRouter> Instance(pubsub::PubSub& pubsub, std::chrono::milliseconds poll,
                                          Metrics& metrics) {
    auto router =
        std::make_unique<TrafficRouter>(*db_, pubsub, clock_, pool_, dir_ / "models", poll, metrics);
    router->Start();
    return router;
  }

  Result<void> Set(TrafficRouter& router, const char* body) {
    auto parsed = TrafficPlan::Parse(nlohmann::json::parse(body));
    EXPECT_TRUE(std::holds_alternative<TrafficPlan>(parsed)) << body;
    return RunToCompletion(io_, router.Set("toy", std::get<TrafficPlan>(parsed)));
  }

  static bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds within) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  static fs::path dir_;
  boost::asio::io_context io_;  // outlives the pool thread that answers into it
  Metrics metrics_, metrics_a_, metrics_b_;
  SystemClock clock_;
  BlockingPool pool_{"test", 1, 16, metrics_};
  std::unique_ptr<sql::Database> db_;
  pubsub::LocalPubSub pubsub_;
};

fs::path TrafficRouterTest::dir_;

TEST_F(TrafficRouterTest, APlanSetOnOneInstanceIsAppliedThereAtOnceAndAnnouncedToTheOther) {
  auto a = Instance(pubsub_, std::chrono::minutes(1), metrics_a_);
  auto b = Instance(pubsub_, std::chrono::minutes(1), metrics_b_);  // hears only announcements
  EXPECT_EQ(a->Find("toy"), nullptr);
  ASSERT_TRUE(Set(*a, R"({"versions": {"v1": 90, "v2": 10}, "shadow": ["v3"]})").ok());
  auto applied = a->Find("toy");
  ASSERT_NE(applied, nullptr);
  EXPECT_EQ(applied->revision, 1);
  ASSERT_EQ(applied->served.size(), 2u);
  EXPECT_EQ(applied->served[1].model->meta.version, "v2");
  ASSERT_EQ(applied->shadows->size(), 1u);
  EXPECT_EQ(applied->shadows->front().model->meta.version, "v3");
  EXPECT_EQ(applied->input->version, "v1") << "requests are checked against the heaviest version's meta.json";
  EXPECT_TRUE(Eventually([&] { return b->Find("toy") != nullptr; }, std::chrono::seconds(2)));
  EXPECT_EQ(b->Describe("toy", "v1")["versions"], (nlohmann::json{{"v1", 90}, {"v2", 10}}));
  EXPECT_EQ(b->Describe("toy", "v1")["source"], "plan");

  // Weights changed: the loaded versions are reused, the revision rises.
  ASSERT_TRUE(Set(*a, R"({"versions": {"v1": 10, "v2": 90}})").ok());
  EXPECT_EQ(a->Find("toy")->served[0].model, applied->served[0].model);
  EXPECT_EQ(a->Find("toy")->input->version, "v2");
  EXPECT_EQ(a->Find("toy")->revision, 2);
  EXPECT_TRUE(Eventually([&] { return b->Find("toy")->revision == 2; }, std::chrono::seconds(2)));

  ASSERT_TRUE(RunToCompletion(io_, a->Clear("toy")).ok());
  EXPECT_EQ(a->Find("toy"), nullptr);
  EXPECT_TRUE(Eventually([&] { return b->Find("toy") == nullptr; }, std::chrono::seconds(2)));
  EXPECT_EQ(a->Describe("toy", "v3")["versions"], (nlohmann::json{{"v3", 100}}));
  EXPECT_EQ(a->Describe("toy", "v3")["source"], "default");
  EXPECT_EQ(a->Describe("toy", "v3")["revision"], 3);
}

TEST_F(TrafficRouterTest, AnInstanceThatMissedTheAnnouncementFindsThePlanWithinItsPoll) {
  auto a = Instance(pubsub_, std::chrono::minutes(1), metrics_a_);
  pubsub::LocalPubSub deaf;  // hears nothing a publishes
  auto b = Instance(deaf, std::chrono::milliseconds(50), metrics_b_);
  ASSERT_TRUE(Set(*a, R"({"versions": {"v2": 1}})").ok());
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually([&] { return b->Find("toy") != nullptr; }, std::chrono::seconds(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
}

TEST_F(TrafficRouterTest, APlanNamingAnUnusableVersionIsRefusedAndThePlanInForceStays) {
  auto a = Instance(pubsub_, std::chrono::minutes(1), metrics_a_);
  ASSERT_TRUE(Set(*a, R"({"versions": {"v1": 1}})").ok());
  auto missing = Set(*a, R"({"versions": {"v1": 1, "v9": 1}})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.error().message.find("v9 is not a version of toy"), std::string::npos)
      << missing.error().message;
  auto broken = Set(*a, R"({"versions": {"v1": 1}, "shadow": ["v-broken"]})");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("v-broken is refused"), std::string::npos) << broken.error().message;
  EXPECT_NE(broken.error().message.find("validation row"), std::string::npos) << broken.error().message;
  auto renamed = Set(*a, R"({"versions": {"v1": 1, "v-renamed": 1}})");
  ASSERT_FALSE(renamed.ok());
  // Versions are read in name order: "v-renamed" comes first, and v1 is the one that differs from it.
  EXPECT_NE(renamed.error().message.find("v1 takes other features than v-renamed"), std::string::npos)
      << renamed.error().message;
  EXPECT_EQ(a->Find("toy")->revision, 1) << "nothing was stored";
  EXPECT_EQ(a->Find("toy")->plan.ToJson()["versions"], (nlohmann::json{{"v1", 1}}));
}

TEST_F(TrafficRouterTest, AStartingInstanceAppliesTheStoredPlanBeforeItServes) {
  {
    auto a = Instance(pubsub_, std::chrono::minutes(1), metrics_a_);
    ASSERT_TRUE(Set(*a, R"({"versions": {"v1": 3, "v3": 1}, "sticky": "header:X-User-Id"})").ok());
  }
  auto restarted = Instance(pubsub_, std::chrono::minutes(1), metrics_b_);
  auto applied = restarted->Find("toy");
  ASSERT_NE(applied, nullptr) << "applied in Start, before any request";
  http::Request request;
  request.headers.Add("X-User-Id", "ada");
  const auto& first = applied->Choose(request);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(&applied->Choose(request), &first) << "sticky";
}

}  // namespace
}  // namespace keel::ml
