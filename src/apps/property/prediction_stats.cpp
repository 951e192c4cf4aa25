// PredictionStats: the served rows' totals from the prediction rollups.
#include "apps/property/prediction_stats.hpp"

#include <optional>
#include <vector>

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

}  // namespace

Task<Result<nlohmann::ordered_json>> PredictionStats(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms) {
  auto versions = co_await ml::ReadRollups(db, model, now_ms - window.count() * 1000);
  if (!versions) co_return std::move(versions).error();
  co_return Stats(model, window, *versions);
}

}  // namespace keel::property
