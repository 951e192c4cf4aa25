// Dashboards: the rollup queries and the one-second cache.
#include "apps/validation/dashboard.hpp"

#include <array>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/validation/rollup_counters.hpp"
#include "core/rfc3339.hpp"

namespace keel::validation {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<DashboardWindow, 4> kWindows = {{
    {"15m", 15, 1},
    {"1h", 60, 1},
    {"24h", 24 * 60, 10},
    {"7d", 7 * 24 * 60, 60},
}};
constexpr std::size_t kMaxCached = 10'000;
constexpr std::int64_t kMaxListed = 100;  // events and violations in a dashboard, apps in the overview

// The first minute a window covers: it ends with the current minute.
std::int64_t WindowStart(DashboardWindow window, std::int64_t now_ms) {
  return MinuteOf(now_ms) - (window.minutes - 1) * 60'000;
}

Json Totals(std::int64_t events, std::int64_t invalid, std::int64_t blocked) {
  return Json{{"events", events}, {"valid", events - invalid}, {"invalid", invalid}, {"blocked", blocked}};
}

}  // namespace

std::optional<DashboardWindow> FindWindow(std::string_view name) {
  for (const auto& window : kWindows)
    if (window.name == name) return window;
  return std::nullopt;
}

Dashboards::Dashboards(sql::Database& db, const Clock& clock, Metrics& metrics, std::chrono::milliseconds ttl)
    : db_(db), clock_(clock), ttl_(ttl), metrics_(metrics, "dashboards") {}

std::optional<std::string> Dashboards::Cached(const std::string& key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto found = cache_.find(key);
  if (found == cache_.end() || now_ms - found->second.second >= ttl_.count()) return std::nullopt;
  return found->second.first;
}

void Dashboards::Keep(std::string key, std::string json, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[std::move(key)] = {std::move(json), now_ms};
}

Task<Result<std::string>> Dashboards::ForApp(std::string owner_id, std::string app_id,
                                             DashboardWindow window) {
  const std::int64_t now_ms = clock_.WallMillis();
  std::string key = fmt::format("app|{}|{}|{}", owner_id, app_id, window.name);
  if (auto cached = Cached(key, now_ms)) {
    metrics_.Hit();
    co_return std::move(*cached);
  }
  metrics_.Miss();
  auto built = co_await Build(app_id, window, now_ms);
  if (!built) co_return std::move(built).error();
  Keep(std::move(key), *built, now_ms);
  co_return std::move(built).value();
}

Task<Result<std::string>> Dashboards::Build(const std::string& app_id, DashboardWindow window,
                                            std::int64_t now_ms) {
  const std::int64_t since = WindowStart(window, now_ms);
  auto by_event = co_await db_.Query(
      "SELECT event_name, SUM(events), SUM(invalid), SUM(blocked) FROM validation_rollups "
      "WHERE app_id = ? AND minute_ms >= ? GROUP BY event_name ORDER BY SUM(events) DESC, event_name",
      sql::Args(app_id, since));
  if (!by_event) co_return std::move(by_event).error();
  auto by_violation = co_await db_.Query(
      "SELECT event_name, path, rule, SUM(count) FROM validation_violation_rollups "
      "WHERE app_id = ? AND minute_ms >= ? GROUP BY event_name, path, rule "
      "ORDER BY SUM(count) DESC, event_name, path, rule LIMIT ?",
      sql::Args(app_id, since, kMaxListed));
  if (!by_violation) co_return std::move(by_violation).error();
  const std::int64_t bucket_ms = window.bucket_minutes * 60'000;
  auto series = co_await db_.Query(
      "SELECT minute_ms / ? AS bucket, SUM(events), SUM(invalid) FROM validation_rollups "
      "WHERE app_id = ? AND minute_ms >= ? GROUP BY 1",
      sql::Args(bucket_ms, app_id, since));
  if (!series) co_return std::move(series).error();

  std::int64_t events = 0, invalid = 0, blocked = 0;
  Json events_json = Json::array();
  for (std::size_t i = 0; i < by_event->rows.size(); ++i) {
    const std::int64_t count = by_event->Int(i, 1).value_or(0);
    const std::int64_t bad = by_event->Int(i, 2).value_or(0);
    events += count;
    invalid += bad;
    blocked += by_event->Int(i, 3).value_or(0);
    if (static_cast<std::int64_t>(i) < kMaxListed)
      events_json.push_back(
          {{"event", by_event->Text(i, 0).value_or("")}, {"count", count}, {"invalid", bad}});
  }
  Json violations_json = Json::array();
  for (std::size_t i = 0; i < by_violation->rows.size(); ++i)
    violations_json.push_back({{"event", by_violation->Text(i, 0).value_or("")},
                               {"path", by_violation->Text(i, 1).value_or("")},
                               {"rule", by_violation->Text(i, 2).value_or("")},
                               {"count", by_violation->Int(i, 3).value_or(0)}});
  // Every bucket of the window, empty ones too, so a chart needs no gap filling.
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> counted;
  for (std::size_t i = 0; i < series->rows.size(); ++i)
    counted[series->Int(i, 0).value_or(0)] = {series->Int(i, 1).value_or(0), series->Int(i, 2).value_or(0)};
  Json series_json = Json::array();
  for (std::int64_t bucket = since / bucket_ms; bucket <= now_ms / bucket_ms; ++bucket) {
    auto found = counted.find(bucket);
    auto [count, bad] = found == counted.end() ? std::pair<std::int64_t, std::int64_t>{0, 0} : found->second;
    series_json.push_back(
        {{"minute", FormatRfc3339(bucket * bucket_ms)}, {"events", count}, {"invalid", bad}});
  }
  Json dashboard = {{"window", window.name},
                    {"bucket_minutes", window.bucket_minutes},
                    {"totals", Totals(events, invalid, blocked)},
                    {"by_event", std::move(events_json)},
                    {"by_violation", std::move(violations_json)},
                    {"series", std::move(series_json)}};
  co_return dashboard.dump();
}

Task<Result<std::string>> Dashboards::ForOwner(std::string owner_id, DashboardWindow window) {
  const std::int64_t now_ms = clock_.WallMillis();
  std::string key = fmt::format("owner|{}|{}", owner_id, window.name);
  if (auto cached = Cached(key, now_ms)) {
    metrics_.Hit();
    co_return std::move(*cached);
  }
  metrics_.Miss();
  auto rows = co_await db_.Query(
      "SELECT a.id, a.name, a.mode, COALESCE(SUM(r.events), 0), COALESCE(SUM(r.invalid), 0), "
      "COALESCE(SUM(r.blocked), 0) FROM validation_apps a LEFT JOIN validation_rollups r "
      "ON r.app_id = a.id AND r.minute_ms >= ? WHERE a.owner_id = ? "
      "GROUP BY a.id, a.name, a.mode, a.created_at ORDER BY a.created_at, a.id LIMIT ?",
      sql::Args(WindowStart(window, now_ms), owner_id, kMaxListed));
  if (!rows) co_return std::move(rows).error();
  Json apps = Json::array();
  for (std::size_t i = 0; i < rows->rows.size(); ++i)
    apps.push_back({{"id", rows->Text(i, 0).value_or("")},
                    {"name", rows->Text(i, 1).value_or("")},
                    {"mode", rows->Text(i, 2).value_or("")},
                    {"totals", Totals(rows->Int(i, 3).value_or(0), rows->Int(i, 4).value_or(0),
                                      rows->Int(i, 5).value_or(0))}});
  std::string json = Json{{"window", window.name}, {"apps", std::move(apps)}}.dump();
  Keep(std::move(key), json, now_ms);
  co_return json;
}

}  // namespace keel::validation
