// Prediction stats over a large log: writes N predictions (its argument; default 10,000,000) spread
// over the last 30 days through the prediction log (rows and rollups, as `keel serve` writes them), then
// times GET /api/v1/property/stats's and /compare's reads for windows from one minute to 30 days. The
// database is database.url from the environment (KEEL_DATABASE_URL): SQLite in a temporary directory by
// default, or a PostgreSQL one (bench/run-prediction-stats.sh --postgres starts one). Run:
// bench/run-prediction-stats.sh
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "app/modules.hpp"
#include "apps/property/prediction_stats.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "ml/models_module.hpp"
#include "ml/prediction_log.hpp"
#include "ml/version_comparison.hpp"
#include "storage/sql/database.hpp"

namespace {

using namespace keel;
using Steady = std::chrono::steady_clock;

constexpr std::int64_t kDayMs = 86'400'000;

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t predictions = 10'000'000;
  if (argc > 1) predictions = std::atoll(argv[1]);
  auto temporary =
      std::filesystem::temp_directory_path() / ("keel-stats-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(temporary);
  ConfigSources sources;
  const char* database_url = std::getenv("KEEL_DATABASE_URL");
  sources.overrides.emplace_back("database.url", database_url != nullptr
                                                     ? std::string(database_url)
                                                     : "sqlite://" + (temporary / "keel.db").string());
  auto config = Config::Load(sources, PlatformConfigKeys());
  if (!config) {
    std::fprintf(stderr, "config: %s\n", config.error().message.c_str());
    return 1;
  }
  Metrics metrics;
  auto db = sql::OpenDatabase(*config, metrics);
  if (!db) {
    std::fprintf(stderr, "database: %s\n", db.error().message.c_str());
    return 1;
  }
  std::string url = config->String("database.url");
  std::string backend = url.starts_with("postgres") ? "postgres" : "sqlite";
  if (auto migrated = (*db)->Migrate(AllMigrations(backend)); !migrated) {
    std::fprintf(stderr, "migrate: %s\n", migrated.error().message.c_str());
    return 1;
  }

  // Three versions: two served half and half, one shadowing a tenth of the requests.
  std::vector<std::shared_ptr<ml::ModelMeta>> versions;
  for (const char* version : {"v1", "v2", "v3"}) {
    auto meta = std::make_shared<ml::ModelMeta>();
    meta->name = "property";
    meta->version = version;
    meta->features = {{"living_area_sqft", 0, 10000}, {"year_built", 1800, 2030}};
    versions.push_back(meta);
  }
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  ml::PredictionLogOptions options;
  options.queue_limit = 400'000;
  options.batch_rows = 5'000;
  // Destroyed after the database, whose threads answer into its event loop.
  auto log_owner = std::make_unique<ml::PredictionLog>(**db, options, metrics);
  {
    ml::PredictionLog& log = *log_owner;
    log.Start();
    auto started = Steady::now();
    constexpr std::int64_t kChunk = 20'000;
    for (std::int64_t first = 0; first < predictions; first += kChunk) {
      std::vector<ml::PredictionRecord> chunk;
      for (std::int64_t i = first; i < std::min(predictions, first + kChunk); ++i) {
        ml::PredictionRecord r;
        r.at_ms = now_ms - 30 * kDayMs + i * (30 * kDayMs) / predictions;
        r.shadow = i % 10 == 9;
        r.model = r.shadow ? versions[2] : versions[static_cast<std::size_t>(i % 2)];
        r.features = {1000.0f + static_cast<float>(i % 3000), 1950.0f + static_cast<float>(i % 70)};
        r.prediction = 80'000.0 + static_cast<double>(i * 7919 % 400'000);
        r.latency_us = 150 + i * 104'729 % 5'000;
        r.cached = i % 4 == 0;
        chunk.push_back(std::move(r));
      }
      while (log.Queued() > options.queue_limit - 2 * kChunk)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      log.Record(std::move(chunk));
    }
    log.Stop(std::chrono::minutes(10));
    double seconds = std::chrono::duration<double>(Steady::now() - started).count();
    std::printf("Wrote %lld predictions (rows and rollups) to %s in %.1f s: %.0f rows/s\n\n",
                static_cast<long long>(predictions), backend.c_str(), seconds,
                static_cast<double>(predictions) / seconds);
  }

  boost::asio::io_context io;
  std::printf("| window | stats p50 ms | stats p99 ms | compare p50 ms | compare p99 ms | count (stats) |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  for (auto [name, seconds] :
       {std::pair{"1m", 60}, {"1h", 3600}, {"1d", 86400}, {"7d", 7 * 86400}, {"30d", 30 * 86400}}) {
    std::vector<double> stats_ms, compare_ms;
    std::int64_t count = 0;
    for (int run = 0; run < 30; ++run) {
      auto started = Steady::now();
      auto stats = RunToCompletion(
          io, property::PredictionStats(**db, "property", std::chrono::seconds(seconds), now_ms));
      stats_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - started).count());
      if (!stats) {
        std::fprintf(stderr, "stats: %s\n", stats.error().message.c_str());
        return 1;
      }
      count = (*stats)["count"].get<std::int64_t>();
      started = Steady::now();
      auto compared =
          RunToCompletion(io, ml::CompareVersions(**db, "property", std::chrono::seconds(seconds), now_ms));
      compare_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - started).count());
      if (!compared) {
        std::fprintf(stderr, "compare: %s\n", compared.error().message.c_str());
        return 1;
      }
    }
    std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %lld |\n", name, Percentile(stats_ms, 0.5),
                Percentile(stats_ms, 0.99), Percentile(compare_ms, 0.5), Percentile(compare_ms, 0.99),
                static_cast<long long>(count));
  }
  db->reset();
  log_owner.reset();
  std::filesystem::remove_all(temporary);
  return 0;
}
