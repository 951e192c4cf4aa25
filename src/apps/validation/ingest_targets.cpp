// IngestTargets: the key lookup, the settings TTL and the compiled-rules cache.
#include "apps/validation/ingest_targets.hpp"

#include <nlohmann/json.hpp>

#include "apps/validation/app_store.hpp"
#include "core/rfc3339.hpp"
#include "core/sha256.hpp"

namespace keel::validation {

namespace {

// More keys than this in the cache: it starts again empty (a flood of made-up keys cannot grow it).
constexpr std::size_t kMaxCachedKeys = 100'000;

Error UnknownKey() { return Error{ErrorCode::kUnauthenticated, "the ingest key is not valid"}; }

std::shared_ptr<const RuleSet> CompileEmpty() {
  auto compiled = RuleSet::Compile(nlohmann::json{{"events", nlohmann::json::object()}});
  return std::make_shared<const RuleSet>(std::get<RuleSet>(std::move(compiled)));
}

}  // namespace

IngestTargets::IngestTargets(sql::Database& db, pubsub::PubSub& pubsub, const Clock& clock, Metrics& metrics,
                             std::chrono::milliseconds settings_ttl)
    : db_(db),
      pubsub_(pubsub),
      clock_(clock),
      settings_ttl_(settings_ttl),
      key_metrics_(metrics, "ingest_keys"),
      rules_metrics_(metrics, "rules"),
      no_rules_(CompileEmpty()) {
  // The handlers run on the publish/subscribe's thread while this object lives (the subscriptions end first).
  changes_ = pubsub_.Subscribe(std::string(kAppChangedChannel),
                               [this](const std::string&, const std::string& app_id) { Forget(app_id); });
  resubscribed_ = pubsub_.Subscribe(std::string(pubsub::kResubscribedChannel),
                                    [this](const std::string&, const std::string&) { ForgetAll(); });
}

Task<Result<std::shared_ptr<const IngestTarget>>> IngestTargets::Find(std::string_view key) {
  if (!key.starts_with(kIngestKeyPrefix)) co_return UnknownKey();
  std::string key_hash = Sha256Hex(key);
  const std::int64_t now = clock_.WallMillis();
  std::shared_ptr<const IngestTarget> target;
  bool cached = false;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mutex_);
    epoch = epoch_;
    auto found = by_key_hash_.find(key_hash);
    if (found != by_key_hash_.end() && now - found->second.fetched_ms < settings_ttl_.count()) {
      target = found->second.target;
      cached = true;
    }
  }
  if (cached) {
    key_metrics_.Hit();
  } else {
    key_metrics_.Miss();
    auto loaded = co_await Load(key_hash);
    if (!loaded) co_return std::move(loaded).error();
    target = std::move(loaded).value();
    std::lock_guard lock(mutex_);
    // A change heard while the query ran may postdate what it read: use the answer, but do not keep it.
    if (epoch == epoch_) {
      if (by_key_hash_.size() >= kMaxCachedKeys) by_key_hash_.clear();
      by_key_hash_[key_hash] = Entry{target, now};
    }
  }
  if (!target || (target->key_expires_ms && *target->key_expires_ms <= now)) co_return UnknownKey();
  co_return target;
}

Task<Result<std::shared_ptr<const IngestTarget>>> IngestTargets::Load(std::string key_hash) {
  auto rows = co_await db_.Query(
      "SELECT a.id, a.mode, a.rules_version, k.expires_at FROM validation_ingest_keys k "
      "JOIN validation_apps a ON a.id = k.app_id WHERE k.key_hash = ?",
      sql::Args(std::move(key_hash)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::shared_ptr<const IngestTarget>();
  auto target = std::make_shared<IngestTarget>();
  target->app_id = std::string(rows->Text(0, 0).value_or(""));
  target->block_mode = rows->Text(0, 1) == std::string_view("block");
  target->rules_version = rows->Int(0, 2);
  if (auto expires = rows->Text(0, 3)) target->key_expires_ms = ParseRfc3339(*expires).value_or(0);
  target->rules = no_rules_;
  if (target->rules_version) {
    auto rules = co_await Rules(target->app_id, *target->rules_version);
    if (!rules) co_return std::move(rules).error();
    target->rules = std::move(rules).value();
  }
  co_return std::shared_ptr<const IngestTarget>(std::move(target));
}

Task<Result<std::shared_ptr<const RuleSet>>> IngestTargets::Rules(const std::string& app_id,
                                                                  std::int64_t version) {
  {
    std::lock_guard lock(mutex_);
    auto found = rules_.find(app_id);
    if (found != rules_.end() && found->second.first == version) {
      rules_metrics_.Hit();
      co_return found->second.second;
    }
  }
  rules_metrics_.Miss();
  auto rows = co_await db_.Query("SELECT body FROM validation_rules WHERE app_id = ? AND version = ?",
                                 sql::Args(app_id, version));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return Error{ErrorCode::kInternal, "the app's current rules version is missing"};
  auto body = nlohmann::json::parse(rows->Text(0, 0).value_or("{}"), nullptr, /*allow_exceptions=*/false);
  auto compiled = RuleSet::Compile(body);
  if (!std::holds_alternative<RuleSet>(compiled))
    co_return Error{ErrorCode::kInternal, "the app's stored rules no longer compile"};
  auto rules = std::make_shared<const RuleSet>(std::get<RuleSet>(std::move(compiled)));
  std::lock_guard lock(mutex_);
  auto& slot = rules_[app_id];
  if (slot.first <= version) slot = {version, rules};
  co_return rules;
}

void IngestTargets::Changed(const std::string& app_id) {
  Forget(app_id);
  pubsub_.Publish(std::string(kAppChangedChannel), app_id);
}

void IngestTargets::ForgetAll() {
  std::lock_guard lock(mutex_);
  ++epoch_;
  by_key_hash_.clear();
  rules_.clear();
}

void IngestTargets::Forget(std::string_view app_id) {
  std::lock_guard lock(mutex_);
  ++epoch_;
  std::erase_if(by_key_hash_, [app_id](const auto& entry) {
    return !entry.second.target || entry.second.target->app_id == app_id;
  });
  if (auto found = rules_.find(app_id); found != rules_.end()) rules_.erase(found);
}

}  // namespace keel::validation
