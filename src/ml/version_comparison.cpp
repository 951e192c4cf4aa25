// CompareVersions: one grouped count over the window, then nearest-rank percentiles per version.
#include "ml/version_comparison.hpp"

#include <charconv>
#include <cmath>

#include "storage/sql/database.hpp"

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

// One version's rows in the window, in one role.
struct Group {
  std::string version;
  std::int64_t shadow = 0;
  std::int64_t count = 0;
};

// The nearest-rank percentile p of `column` over one group's rows: the database sorts the group's rows of
// the window (the created_at index finds them). `column` is a literal (a const char*: g++ 12 mishandles a
// std::string temporary in a co_await expression).
Task<Result<std::optional<double>>> Percentile(sql::Database& db, const char* column,
                                               const std::string& model, const Group& group,
                                               std::int64_t since, double p) {
  auto offset = static_cast<std::int64_t>(std::ceil(p * static_cast<double>(group.count))) - 1;
  std::string sql =
      std::string("SELECT ") + column +
      " FROM prediction_logs WHERE created_at >= ? AND model = ? AND version = ? AND shadow = ? "
      "ORDER BY " +
      column + " LIMIT 1 OFFSET ?";
  auto rows = co_await db.Query(std::move(sql), sql::Args(since, model, group.version, group.shadow,
                                                          std::max<std::int64_t>(offset, 0)));
  if (!rows) co_return std::move(rows).error();
  std::optional<double> value;
  if (rows->empty()) co_return value;
  value = rows->Double(0, 0);
  if (!value) {
    if (auto integer = rows->Int(0, 0)) value = static_cast<double>(*integer);  // latency_us
  }
  co_return value;
}

nlohmann::ordered_json OrNull(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

// A served version's part of the served rows; null for a shadow. Outside the coroutine, as OrNull: g++ 12
// destroys a conditional's temporaries twice inside one.
nlohmann::ordered_json ShareOf(const Group& group, std::int64_t served_rows) {
  if (group.shadow || served_rows == 0) return nullptr;
  return static_cast<double>(group.count) / static_cast<double>(served_rows);
}

}  // namespace

Task<Result<nlohmann::ordered_json>> CompareVersions(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms) {
  std::int64_t since = now_ms - window.count() * 1000;
  auto totals = co_await db.Query(
      "SELECT version, shadow, COUNT(*), AVG(prediction), COUNT(CASE WHEN cached = 1 THEN 1 END) "
      "FROM prediction_logs WHERE created_at >= ? AND model = ? GROUP BY version, shadow "
      "ORDER BY COUNT(*) DESC, version, shadow LIMIT ?",
      sql::Args(since, model, kMaxComparedVersions + 1));
  if (!totals) co_return std::move(totals).error();
  std::size_t groups = std::min<std::size_t>(totals->rows.size(), kMaxComparedVersions);
  // Every served row of the window, the versions beyond the ones listed included.
  auto served = co_await db.Query(
      "SELECT COUNT(*) FROM prediction_logs WHERE created_at >= ? AND model = ? AND shadow = 0",
      sql::Args(since, model));
  if (!served) co_return std::move(served).error();
  std::int64_t served_rows = served->Int(0, 0).value_or(0);

  nlohmann::ordered_json versions = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < groups; ++i) {
    Group group;
    group.version = std::string(totals->Text(i, 0).value_or(""));
    group.shadow = totals->Int(i, 1).value_or(0);
    group.count = totals->Int(i, 2).value_or(0);
    std::int64_t cached = totals->Int(i, 4).value_or(0);
    auto prediction_p50 = co_await Percentile(db, "prediction", model, group, since, 0.50);
    if (!prediction_p50) co_return std::move(prediction_p50).error();
    auto prediction_p95 = co_await Percentile(db, "prediction", model, group, since, 0.95);
    if (!prediction_p95) co_return std::move(prediction_p95).error();
    auto latency_p50 = co_await Percentile(db, "latency_us", model, group, since, 0.50);
    if (!latency_p50) co_return std::move(latency_p50).error();
    auto latency_p95 = co_await Percentile(db, "latency_us", model, group, since, 0.95);
    if (!latency_p95) co_return std::move(latency_p95).error();
    auto ms = [](const std::optional<double>& us) {
      return us ? std::optional<double>(*us / 1000.0) : std::optional<double>();
    };
    nlohmann::ordered_json entry;
    entry["version"] = group.version;
    entry["role"] = group.shadow ? "shadow" : "served";
    entry["count"] = group.count;
    entry["share"] = ShareOf(group, served_rows);
    entry["mean_prediction"] = OrNull(totals->Double(i, 3));
    entry["prediction_p50"] = OrNull(*prediction_p50);
    entry["prediction_p95"] = OrNull(*prediction_p95);
    entry["latency_p50_ms"] = OrNull(ms(*latency_p50));
    entry["latency_p95_ms"] = OrNull(ms(*latency_p95));
    entry["cache_hit_ratio"] = static_cast<double>(cached) / static_cast<double>(group.count);
    versions.push_back(std::move(entry));
  }
  nlohmann::ordered_json comparison;
  comparison["model"] = model;
  comparison["window_seconds"] = window.count();
  comparison["versions"] = std::move(versions);
  comparison["truncated"] = totals->rows.size() > groups;
  co_return comparison;
}

}  // namespace keel::ml
