// Where an ingest key sends its events: the app, its mode and its current rules, compiled. The ingest path
// asks for every request, so answers are cached in this process:
//   - a key's app settings (mode, rules version, the key's expiry) for `settings_ttl`, 500 ms by default, so
//   a
//     mode change, a new rules version or a deleted app reaches every instance within a second without any
//     message between them; changes made through this instance are seen at once (Forget);
//   - compiled rules per app, one version at a time: versions never change, so a newer one is compiled once
//     per process when the settings first name it.
// A key nobody knows is cached for the same time, so a client sending a wrong key costs one query per TTL.
//
// Thread safety: safe from any IO thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "apps/validation/cache_metrics.hpp"
#include "apps/validation/rule_set.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "storage/pubsub/pubsub.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

// Where the instance that changed an app says so (the message is the app's id).
inline constexpr std::string_view kAppChangedChannel = "validation.app-changed";

struct IngestTarget {
  std::string app_id;
  bool block_mode = false;
  std::optional<std::int64_t> rules_version;   // none before the app's first PUT /rules
  std::shared_ptr<const RuleSet> rules;        // the version's; before any, no schemas and unplanned allowed
  std::optional<std::int64_t> key_expires_ms;  // set for a rotated-out key in its grace period
};

class IngestTargets {
 public:
  IngestTargets(sql::Database& db, pubsub::PubSub& pubsub, const Clock& clock, Metrics& metrics,
                std::chrono::milliseconds settings_ttl = std::chrono::minutes(5));

  // The target of `key` (the bearer credential, "lvd_..."); kUnauthenticated when no app has it or it
  // expired.
  Task<Result<std::shared_ptr<const IngestTarget>>> Find(std::string_view key);

  // After a change to `app_id` made through this process: drops its entries here, and tells every instance.
  void Changed(const std::string& app_id);

 private:
  struct Entry {
    std::shared_ptr<const IngestTarget> target;  // null: no app has the key
    std::int64_t fetched_ms = 0;
  };

  Task<Result<std::shared_ptr<const IngestTarget>>> Load(std::string key_hash);
  Task<Result<std::shared_ptr<const RuleSet>>> Rules(const std::string& app_id, std::int64_t version);
  void Forget(std::string_view app_id);
  void ForgetAll();

  sql::Database& db_;
  pubsub::PubSub& pubsub_;
  const Clock& clock_;
  const std::chrono::milliseconds settings_ttl_;
  CacheMetrics key_metrics_;
  CacheMetrics rules_metrics_;
  const std::shared_ptr<const RuleSet> no_rules_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_key_hash_;  // GUARDED_BY(mutex_)
  std::uint64_t epoch_ = 0;  // GUARDED_BY(mutex_): counts invalidations, so a load racing one is not kept
  // app id -> (version, compiled)
  std::map<std::string, std::pair<std::int64_t, std::shared_ptr<const RuleSet>>, std::less<>>
      rules_;  // GUARDED_BY(mutex_)
  std::unique_ptr<pubsub::Subscription> changes_;
  std::unique_ptr<pubsub::Subscription> resubscribed_;
};

}  // namespace keel::validation
