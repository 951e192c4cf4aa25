// CompareVersions: each version's totals over the window, from the prediction rollups, side by side.
#include "ml/version_comparison.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>
#include <vector>

#include "ml/prediction_rollups.hpp"

namespace keel::ml {

std::optional<std::chrono::seconds> ParsePredictionWindow(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, amount);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || amount <= 0) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  if (amount > 30 * 86400 / unit) return std::nullopt;
  return std::chrono::seconds(amount * unit);
}

namespace {

nlohmann::ordered_json OrNull(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

std::optional<double> Milliseconds(const std::optional<double>& microseconds) {
  return microseconds ? std::optional<double>(*microseconds / 1000.0) : std::nullopt;
}

// One version's entry in one role; `served_rows` counts every served row of the window.
nlohmann::ordered_json Entry(const VersionTotals& group, std::int64_t served_rows) {
  const RollupTotals& totals = group.totals;
  auto count = static_cast<double>(totals.count);
  nlohmann::ordered_json entry;
  entry["version"] = group.version;
  entry["role"] = group.shadow ? "shadow" : "served";
  entry["count"] = totals.count;
  // A served version's part of the served rows; null for a shadow.
  entry["share"] =
      OrNull(!group.shadow && served_rows > 0 ? std::optional(count / static_cast<double>(served_rows))
                                              : std::nullopt);
  entry["mean_prediction"] =
      OrNull(totals.count > 0 ? std::optional(totals.prediction_sum / count) : std::nullopt);
  entry["prediction_p50"] = OrNull(totals.prediction.Quantile(0.50));
  entry["prediction_p95"] = OrNull(totals.prediction.Quantile(0.95));
  entry["latency_p50_ms"] = OrNull(Milliseconds(totals.latency_us.Quantile(0.50)));
  entry["latency_p95_ms"] = OrNull(Milliseconds(totals.latency_us.Quantile(0.95)));
  entry["cache_hit_ratio"] =
      OrNull(totals.count > 0 ? std::optional(static_cast<double>(totals.cached) / count) : std::nullopt);
  return entry;
}

nlohmann::ordered_json Comparison(const std::string& model, std::chrono::seconds window,
                                  std::vector<VersionTotals> groups) {
  std::int64_t served_rows = 0;
  for (const auto& group : groups)
    if (!group.shadow) served_rows += group.totals.count;
  // The versions with the most rows first.
  std::sort(groups.begin(), groups.end(), [](const VersionTotals& a, const VersionTotals& b) {
    if (a.totals.count != b.totals.count) return a.totals.count > b.totals.count;
    return std::tie(a.version, a.shadow) < std::tie(b.version, b.shadow);
  });
  std::size_t listed = std::min<std::size_t>(groups.size(), kMaxComparedVersions);
  nlohmann::ordered_json versions = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < listed; ++i) versions.push_back(Entry(groups[i], served_rows));
  nlohmann::ordered_json comparison;
  comparison["model"] = model;
  comparison["window_seconds"] = window.count();
  comparison["versions"] = std::move(versions);
  comparison["truncated"] = groups.size() > listed;
  return comparison;
}

}  // namespace

Task<Result<nlohmann::ordered_json>> CompareVersions(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms) {
  auto groups = co_await ReadRollups(db, model, now_ms - window.count() * 1000);
  if (!groups) co_return std::move(groups).error();
  co_return Comparison(model, window, std::move(*groups));
}

}  // namespace keel::ml
