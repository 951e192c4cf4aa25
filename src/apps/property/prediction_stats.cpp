// PredictionStats: the served rows' totals from the prediction rollups.
#include "apps/property/prediction_stats.hpp"

#include <optional>
#include <vector>

#include "core/rfc3339.hpp"
#include "ml/prediction_rollups.hpp"

namespace keel::property {

namespace {

nlohmann::ordered_json OrNull(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

std::optional<double> Milliseconds(const std::optional<double>& microseconds) {
  return microseconds ? std::optional<double>(*microseconds / 1000.0) : std::nullopt;
}

// The stats of the served rows (outside the coroutine: g++ 12 and conditional temporaries).
nlohmann::ordered_json Stats(const std::string& model, std::chrono::seconds window,
                             const std::vector<ml::VersionTotals>& versions) {
  ml::RollupTotals served;
  for (const auto& version : versions)
    if (!version.shadow) served.Merge(version.totals);
  auto count = static_cast<double>(served.count);
  nlohmann::ordered_json stats;
  stats["model"] = model;
  stats["window_seconds"] = window.count();
  stats["count"] = served.count;
  stats["mean_prediction"] =
      OrNull(served.count > 0 ? std::optional(served.prediction_sum / count) : std::nullopt);
  stats["latency_p50_ms"] = OrNull(Milliseconds(served.latency_us.Quantile(0.50)));
  stats["latency_p95_ms"] = OrNull(Milliseconds(served.latency_us.Quantile(0.95)));
  stats["cache_hit_ratio"] =
      OrNull(served.count > 0 ? std::optional(static_cast<double>(served.cached) / count) : std::nullopt);
  return stats;
}

// The served answers of each minute of the window that had any, oldest first, from the minute rollups.
constexpr const char* kPerMinute =
    "SELECT start_ms, SUM(count), SUM(prediction_sum) FROM prediction_rollups "
    "WHERE model = ? AND period_ms = ? AND start_ms >= ? AND shadow = 0 GROUP BY start_ms ORDER BY start_ms";

Task<Result<nlohmann::ordered_json>> PerMinute(sql::Database& db, const std::string& model,
                                               std::int64_t since_ms) {
  // The minute holding the window's start counts whole, as in the totals (a window ends now: since_ms > 0).
  const std::int64_t first_minute = since_ms - since_ms % ml::kRollupMinuteMs;
  auto rows = co_await db.Query(kPerMinute, sql::Args(model, ml::kRollupMinuteMs, first_minute));
  if (!rows) co_return std::move(rows).error();
  auto minutes = nlohmann::ordered_json::array();
  for (std::size_t row = 0; row < rows->rows.size(); ++row) {
    std::int64_t count = rows->Int(row, 1).value_or(0);
    if (count == 0) continue;
    nlohmann::ordered_json minute;
    minute["minute"] = FormatRfc3339(rows->Int(row, 0).value_or(0));
    minute["count"] = count;
    minute["mean_prediction"] = rows->Double(row, 2).value_or(0) / static_cast<double>(count);
    minutes.push_back(std::move(minute));
  }
  co_return minutes;
}

}  // namespace

Task<Result<nlohmann::ordered_json>> PredictionStats(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms) {
  auto versions = co_await ml::ReadRollups(db, model, now_ms - window.count() * 1000);
  if (!versions) co_return std::move(versions).error();
  auto stats = Stats(model, window, *versions);
  if (window <= kPerMinuteWindow) {
    auto minutes = co_await PerMinute(db, model, now_ms - window.count() * 1000);
    if (!minutes) co_return std::move(minutes).error();
    stats["per_minute"] = std::move(*minutes);
  }
  co_return stats;
}

}  // namespace keel::property
