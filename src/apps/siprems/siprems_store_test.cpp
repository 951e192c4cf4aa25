// The SIPREMS stores and trainer on a real SQLite file with a manual clock: products, sales summed by the
// database per day, week and month, the seed catalogue, and the accept gate (a worse version is refused and
// the served one stays); the training kind and its schedule.
#include <utility>  // before Boost

#include <unistd.h>

#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "apps/siprems/model_store.hpp"
#include "apps/siprems/product_store.hpp"
#include "apps/siprems/sales_store.hpp"
#include "apps/siprems/seed_catalog.hpp"
#include "apps/siprems/served_models.hpp"
#include "apps/siprems/siprems_module.hpp"
#include "apps/siprems/trainer.hpp"
#include "apps/siprems/training_jobs.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "jobs/job_kinds.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::siprems {
namespace {

namespace fs = std::filesystem;

class SipremsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("keel-siprems-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                       ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = sql::SqliteDatabase::Open({.path = (dir_ / "keel.db").string(), .pool_size = 2}, metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    std::vector<sql::Migration> all = sql::PlatformMigrations("sqlite");
    for (const auto& m : Migrations("sqlite")) all.push_back(m);
    auto migrated = db_->Migrate(all);
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    products_ = std::make_unique<ProductStore>(*db_, clock_);
    sales_ = std::make_unique<SalesStore>(*db_, clock_);
    models_ = std::make_unique<ModelStore>(*db_);
    trainer_ = std::make_unique<Trainer>(*sales_, *models_, clock_, options_,
                                         [this](const std::string& sku) { announced_.push_back(sku); });
  }
  void TearDown() override {
    trainer_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  template <class T>
  T Run(Task<T> task) {
    return RunToCompletion(io_, std::move(task));
  }
  RunAndWait Runner() {
    return [this](std::function<Task<void>()> body) { RunToCompletion(io_, Finished(std::move(body))); };
  }
  static Task<int> Finished(std::function<Task<void>()> body) {
    co_await body();
    co_return 0;
  }

  Product NewProduct(const std::string& sku) {
    Product p;
    p.sku = sku;
    p.name = "Product " + sku;
    p.category = "bakery";
    p.price = 2.5;
    p.stock = 40;
    return p;
  }
  Sale At(const std::string& sku, const char* date, double quantity, std::optional<double> price = {}) {
    Sale s;
    s.sku = sku;
    s.day = *ParseDay(date);
    s.quantity = quantity;
    s.unit_price = price;
    return s;
  }

  boost::asio::io_context io_;  // outlives the database's threads
  fs::path dir_;
  Metrics metrics_;
  ManualClock clock_;
  SipremsOptions options_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<ProductStore> products_;
  std::unique_ptr<SalesStore> sales_;
  std::unique_ptr<ModelStore> models_;
  std::unique_ptr<Trainer> trainer_;
  std::vector<std::string> announced_;
};

TEST_F(SipremsStoreTest, ProductsAreCreatedListedPatchedAndDeletedWithTheirSales) {
  ASSERT_TRUE(Run(products_->Create(NewProduct("BRD-001"))).ok());
  auto again = Run(products_->Create(NewProduct("BRD-001")));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  Product milk = NewProduct("MLK-002");
  milk.category = "dairy";
  milk.price.reset();
  ASSERT_TRUE(Run(products_->Create(milk)).ok());

  ProductQuery dairy;
  dairy.category = "dairy";
  auto page = Run(products_->List(dairy));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->total, 1);
  EXPECT_EQ(page->items[0].sku, "MLK-002");
  EXPECT_FALSE(page->items[0].price);

  ProductPatch patch;
  patch.price = std::optional<double>(1.2);
  patch.stock = std::optional<std::int64_t>();  // cleared
  patch.active = false;
  clock_.Advance(std::chrono::seconds(5));
  auto patched = Run(products_->Update("MLK-002", patch));
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ(patched->price, 1.2);
  EXPECT_FALSE(patched->stock);
  EXPECT_FALSE(patched->active);
  EXPECT_EQ(patched->name, "Product MLK-002");
  EXPECT_EQ(patched->updated_ms, patched->created_ms + 5000);

  ASSERT_TRUE(Run(sales_->Insert({At("MLK-002", "2026-11-02", 3)}, std::nullopt)).ok());
  auto unknown = Run(products_->Unknown({"MLK-002", "NOPE", "BRD-001"}));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, std::vector<std::string>{"NOPE"});
  ASSERT_TRUE(Run(products_->Delete("MLK-002")).ok());
  EXPECT_EQ(Run(products_->Find("MLK-002")).error().code, ErrorCode::kNotFound);
  auto left = Run(db_->Query("SELECT COUNT(*) FROM siprems_sales"));
  EXPECT_EQ(left->Int(0, 0), 0);  // the sales went with the product
}

TEST_F(SipremsStoreTest, SalesAreSummedPerDayWeekAndMonthByTheDatabase) {
  ASSERT_TRUE(Run(products_->Create(NewProduct("BRD-001"))).ok());
  // 1969-12-29 (a Monday before day 0) and its Sunday: one week, although the day numbers are negative.
  std::vector<Sale> sales = {At("BRD-001", "1969-12-29", 1),      At("BRD-001", "1970-01-04", 2),
                             At("BRD-001", "2026-11-29", 4, 2.0), At("BRD-001", "2026-11-30", 8, 2.5),
                             At("BRD-001", "2026-12-06", 16),     At("BRD-001", "2026-12-07", 32, 1.0),
                             At("BRD-001", "2026-12-07", 64, 1.0)};
  ASSERT_TRUE(Run(sales_->Insert(sales, std::string("imp-1"))).ok());

  auto weeks = Run(sales_->Aggregate("BRD-001", Interval::kWeek, std::nullopt, std::nullopt));
  ASSERT_TRUE(weeks.ok()) << weeks.error().message;
  std::vector<std::pair<std::string, double>> got;
  for (const auto& b : *weeks) got.emplace_back(FormatDay(b.period), b.quantity);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, double>>{
                     {"1969-12-29", 3}, {"2026-11-23", 4}, {"2026-11-30", 24}, {"2026-12-07", 96}}));
  EXPECT_EQ((*weeks)[3].revenue, 96.0);
  EXPECT_EQ((*weeks)[3].sales, 2);
  EXPECT_EQ((*weeks)[2].revenue, 20.0);  // only the priced sale
  EXPECT_FALSE((*weeks)[0].revenue);

  auto months =
      Run(sales_->Aggregate("BRD-001", Interval::kMonth, ParseDay("2026-11-30"), ParseDay("2026-12-06")));
  ASSERT_TRUE(months.ok());
  ASSERT_EQ(months->size(), 2u);
  EXPECT_EQ(FormatDay((*months)[0].period), "2026-11-01");
  EXPECT_EQ((*months)[0].quantity, 8);
  EXPECT_EQ((*months)[1].quantity, 16);

  auto series = Run(sales_->SeriesOf("BRD-001", Interval::kDay));
  ASSERT_TRUE(series.ok());
  EXPECT_EQ(FormatDay(series->first_period), "1969-12-29");
  EXPECT_EQ(FormatDay(series->LastPeriod()), "2026-12-07");
  EXPECT_EQ(series->values[1], 0);  // a day without a sale is a zero, not a gap
  EXPECT_EQ(series->values.back(), 96);
}

// AIRPAX-INTL from the real catalogue: trend and seasonality, which Holt-Winters forecasts far better than
// seasonal naive.
TEST_F(SipremsStoreTest, ABetterVersionServesAndAWorseOneIsRefusedWhileTheServedOneStays) {
  auto catalog = ReadSeedCatalog(std::string(KEEL_SOURCE_DIR) + "/data/siprems/sales.csv");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  ASSERT_EQ(catalog->products.size(), 10u);
  std::vector<Sale> airpax;
  for (const Sale& s : catalog->sales)
    if (s.sku == "AIRPAX-INTL") airpax.push_back(s);
  ASSERT_EQ(airpax.size(), 144u);
  Product product = NewProduct("AIRPAX-INTL");
  ASSERT_TRUE(Run(products_->Create(product)).ok());
  ASSERT_TRUE(Run(sales_->Insert(airpax, std::nullopt)).ok());

  auto first = trainer_->Train("AIRPAX-INTL", Runner());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->status, "served");
  EXPECT_NE(first->family, "seasonal_naive");  // Holt-Winters and XGBoost backtest alike here; the lower wins
  EXPECT_EQ(first->version, "AIRPAX-INTL_2027-01-15T080000000Z");
  EXPECT_LT(*first->mase, 1.0);
  EXPECT_EQ(announced_, std::vector<std::string>{"AIRPAX-INTL"});

  // A year of erratic sales after 1960: the next version backtests far worse, so it is refused.
  std::mt19937 random(7);
  std::uniform_real_distribution<double> noise(0, 1500);
  std::vector<Sale> erratic;
  for (int month = 1; month <= 12; ++month)
    erratic.push_back(At("AIRPAX-INTL", fmt::format("1961-{:02}-01", month).c_str(), noise(random)));
  ASSERT_TRUE(Run(sales_->Insert(erratic, std::nullopt)).ok());
  clock_.Advance(std::chrono::hours(24));
  auto second = trainer_->Train("AIRPAX-INTL", Runner());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->status, "refused");
  EXPECT_EQ(second->served_mase, first->mase);
  EXPECT_GT(*second->mase, *first->mase * 1.05);
  EXPECT_NE(second->reason.find(first->version), std::string::npos) << second->reason;
  EXPECT_EQ(announced_.size(), 1u);

  auto served = Run(models_->Served("AIRPAX-INTL"));
  ASSERT_TRUE(served.ok());
  ASSERT_TRUE(*served);
  EXPECT_EQ((*served)->version.version, first->version);
  EXPECT_EQ(FormatDay((*served)->model.series.LastPeriod()), "1960-12-01");  // it never saw 1961
  auto versions = Run(models_->Versions("AIRPAX-INTL", 10));
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].status, "refused");
  EXPECT_EQ((*versions)[0].reason, second->reason);
  EXPECT_EQ((*versions)[1].status, "served");

  // The stored model forecasts as the fitted one did: 1961 with intervals that contain their forecast.
  auto forecast = (*served)->model.Predict(12);
  ASSERT_EQ(forecast.mean.size(), 12u);
  for (std::size_t i = 0; i < 12; ++i) {
    EXPECT_LE(forecast.lower95[i], forecast.lower80[i]);
    EXPECT_LE(forecast.lower80[i], forecast.mean[i]);
    EXPECT_LE(forecast.mean[i], forecast.upper80[i]);
    EXPECT_LE(forecast.upper80[i], forecast.upper95[i]);
  }
  EXPECT_GT(forecast.mean[6], forecast.mean[10]);  // July's peak above November's trough, as every year

  // The backtest's split: the last 12 months held out.
  const auto& split = (*served)->version.metrics["split"];
  EXPECT_EQ(split["train_end"], "1959-12-01");
  EXPECT_EQ(split["test_start"], "1960-01-01");
  EXPECT_EQ(split["test_end"], "1960-12-01");
  EXPECT_LT((*served)->version.metrics["holdout"]["mase"].get<double>(),
            (*served)->version.metrics["holdout_seasonal_naive"]["mase"].get<double>());
}

TEST_F(SipremsStoreTest, TooShortAHistoryIsSkippedAndANewVersionReachesEveryReaderAfterTheRefresh) {
  ASSERT_TRUE(Run(products_->Create(NewProduct("NEW-1"))).ok());
  std::vector<Sale> short_history;
  for (int month = 1; month <= 12; ++month)
    short_history.push_back(At("NEW-1", fmt::format("2026-{:02}-15", month).c_str(), 10 + month));
  ASSERT_TRUE(Run(sales_->Insert(short_history, std::nullopt)).ok());
  auto skipped = trainer_->Train("NEW-1", Runner());
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(skipped->status, "skipped");
  EXPECT_NE(skipped->reason.find("at least 25"), std::string::npos) << skipped->reason;

  ServedModels served(*models_, clock_, std::chrono::milliseconds(1000));
  auto none = Run(served.Get("NEW-1"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  std::vector<Sale> more;
  for (int year = 2024; year <= 2025; ++year)
    for (int month = 1; month <= 12; ++month)
      more.push_back(At("NEW-1", fmt::format("{}-{:02}-15", year, month).c_str(), 10 + month));
  ASSERT_TRUE(Run(sales_->Insert(more, std::nullopt)).ok());
  auto trained = trainer_->Train("NEW-1", Runner());
  ASSERT_TRUE(trained.ok());
  EXPECT_EQ(trained->status, "served");
  // Within the refresh period this reader still believes there is none; after it, it reads the new one.
  EXPECT_FALSE(*Run(served.Get("NEW-1")));
  clock_.Advance(std::chrono::milliseconds(1001));
  auto now = Run(served.Get("NEW-1"));
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(*now);
  EXPECT_EQ((*now)->version.version, trained->version);
}

}  // namespace
}  // namespace keel::siprems

namespace keel::siprems {
namespace {

TEST(TrainingJobsTest, TheScheduleFiresTheTrainingKindAndABadOneIsRefused) {
  Metrics metrics;
  ManualClock clock;
  SipremsOptions options;
  auto db = sql::SqliteDatabase::Open({.path = ":memory:", .pool_size = 1}, metrics);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ProductStore products(**db, clock);
  SalesStore sales(**db, clock);
  ModelStore models(**db);
  Trainer trainer(sales, models, clock, options, nullptr);
  jobs::JobKinds kinds;
  ASSERT_TRUE(AddTrainingJobs(kinds, products, trainer, "0 2 * * *").ok());
  const jobs::JobKind* kind = kinds.Find(kTrainJob);
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->queue, "training");
  ASSERT_EQ(kinds.periodic().size(), 1u);
  EXPECT_EQ(kinds.periodic()[0].kind, kTrainJob);
  EXPECT_EQ(kinds.periodic()[0].schedule.expression(), "0 2 * * *");

  jobs::JobKinds unscheduled;
  ASSERT_TRUE(AddTrainingJobs(unscheduled, products, trainer, "").ok());
  EXPECT_TRUE(unscheduled.periodic().empty());
  jobs::JobKinds broken;
  auto refused = AddTrainingJobs(broken, products, trainer, "every night");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("siprems.train_schedule"), std::string::npos);
}

}  // namespace
}  // namespace keel::siprems
