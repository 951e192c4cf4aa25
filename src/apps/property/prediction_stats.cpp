// PredictionStats: the aggregate queries over prediction_logs.
#include "apps/property/prediction_stats.hpp"

#include <cmath>
#include <optional>

namespace keel::property {

namespace {

// The nearest-rank percentile of latency in the window: one indexed range scan and a sort of the window.
Task<Result<std::optional<double>>> LatencyPercentileMs(sql::Database& db, const std::string& model,
                                                        std::int64_t since, std::int64_t count, double p) {
  auto offset = static_cast<std::int64_t>(std::ceil(p * static_cast<double>(count))) - 1;
  auto rows = co_await db.Query(
      "SELECT latency_us FROM prediction_logs WHERE created_at >= ? AND model = ? AND shadow = 0 "
      "ORDER BY latency_us "
      "LIMIT 1 OFFSET ?",
      sql::Args(since, model, std::max<std::int64_t>(offset, 0)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<double>();
  co_return std::optional<double>(static_cast<double>(rows->Int(0, 0).value_or(0)) / 1000.0);
}

nlohmann::ordered_json OrNull(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

}  // namespace

Task<Result<nlohmann::ordered_json>> PredictionStats(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms) {
  std::int64_t since = now_ms - window.count() * 1000;
  auto totals = co_await db.Query(
      "SELECT COUNT(*), AVG(prediction), COUNT(CASE WHEN cached = 1 THEN 1 END) FROM prediction_logs "
      "WHERE created_at >= ? AND model = ? AND shadow = 0",
      sql::Args(since, model));
  if (!totals) co_return std::move(totals).error();
  std::int64_t count = totals->Int(0, 0).value_or(0);
  std::int64_t cached = totals->Int(0, 2).value_or(0);
  std::optional<double> p50, p95;
  if (count > 0) {
    auto median = co_await LatencyPercentileMs(db, model, since, count, 0.50);
    if (!median) co_return std::move(median).error();
    auto tail = co_await LatencyPercentileMs(db, model, since, count, 0.95);
    if (!tail) co_return std::move(tail).error();
    p50 = *median;
    p95 = *tail;
  }
  nlohmann::ordered_json stats;
  stats["model"] = model;
  stats["window_seconds"] = window.count();
  stats["count"] = count;
  stats["mean_prediction"] = OrNull(totals->Double(0, 1));
  stats["latency_p50_ms"] = OrNull(p50);
  stats["latency_p95_ms"] = OrNull(p95);
  stats["cache_hit_ratio"] =
      count > 0 ? nlohmann::ordered_json(static_cast<double>(cached) / static_cast<double>(count))
                : nlohmann::ordered_json();
  co_return stats;
}

}  // namespace keel::property
