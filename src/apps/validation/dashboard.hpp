// The dashboard's aggregates, read from the per-minute rollups (never from raw logs):
//   - one app over a window (GET /api/v1/apps/{app_id}/dashboard): totals, counts by event, by violation,
//     and a series of buckets (1 minute for 15m and 1h, 10 minutes for 24h, 1 hour for 7d);
//   - the totals of each of a user's apps (GET /api/v1/dashboard).
// Answers are cached for one second: the rollups change once a second (each instance's flush), so a second's
// cache costs nothing in freshness and lets a crowd watching one dashboard cost one set of queries.
//
// Thread safety: safe from any IO thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "apps/validation/cache_metrics.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

struct DashboardWindow {
  std::string_view name;  // 15m, 1h, 24h, 7d
  std::int64_t minutes = 0;
  std::int64_t bucket_minutes = 1;
};

// The window named `name`; nullopt for any other.
std::optional<DashboardWindow> FindWindow(std::string_view name);

class Dashboards {
 public:
  Dashboards(sql::Database& db, const Clock& clock, Metrics& metrics,
             std::chrono::milliseconds ttl = std::chrono::seconds(1));

  // The JSON of one app's dashboard. The caller has checked that the app is the owner's; the cache is per
  // owner, so another owner's answer is never served.
  Task<Result<std::string>> ForApp(std::string owner_id, std::string app_id, DashboardWindow window);
  // The JSON of every app of the owner, with its totals (the first 100 apps, oldest first).
  Task<Result<std::string>> ForOwner(std::string owner_id, DashboardWindow window);

 private:
  std::optional<std::string> Cached(const std::string& key, std::int64_t now_ms);
  void Keep(std::string key, std::string json, std::int64_t now_ms);
  Task<Result<std::string>> Build(const std::string& app_id, DashboardWindow window, std::int64_t now_ms);

  sql::Database& db_;
  const Clock& clock_;
  const std::chrono::milliseconds ttl_;
  CacheMetrics metrics_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::pair<std::string, std::int64_t>> cache_;  // GUARDED_BY(mutex_)
};

}  // namespace keel::validation
