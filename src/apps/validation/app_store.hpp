// The SQL behind apps, their ingest keys and their rules versions. Every query is scoped to the owner, so
// another user's app is simply not found (404), never forbidden: its existence does not leak.
//
// Thread safety: safe from any IO thread (the Database is).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "core/clock.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

inline constexpr std::string_view kIngestKeyPrefix = "lvd_";

struct App {
  std::string id;
  std::string owner_id;
  std::string name;
  std::string mode;  // flag | block
  std::optional<std::int64_t> rules_version;
  std::string created_at;
  std::string updated_at;
};

struct AppPage {
  std::vector<App> items;
  std::int64_t total = 0;
};

struct RulesVersion {
  std::int64_t version = 0;
  std::string body;  // {"events": {...}, "unplanned": ...} as stored
  std::string created_at;
};

struct RulesPage {
  std::vector<RulesVersion> items;
  std::int64_t total = 0;
};

// A new ingest key, shown once; the keys it replaces work until previous_expires_at.
struct IssuedKey {
  std::string key;
  std::optional<std::string> previous_expires_at;
};

class AppStore {
 public:
  AppStore(sql::Database& db, const Clock& clock, std::chrono::seconds key_grace)
      : db_(db), clock_(clock), key_grace_(key_grace) {}

  // The app and its first ingest key.
  Task<Result<std::pair<App, std::string>>> Create(std::string owner_id, std::string name, std::string mode);
  Task<Result<App>> Find(std::string owner_id, std::string id);
  Task<Result<AppPage>> List(std::string owner_id, std::int64_t page, std::int64_t per_page);
  Task<Result<App>> Update(std::string owner_id, std::string id, std::optional<std::string> name,
                           std::optional<std::string> mode);
  // Deletes the app with its keys, rules and logs.
  Task<Result<void>> Delete(std::string owner_id, std::string id);
  // A new key; the current ones expire after the grace period (sooner ones keep their time).
  Task<Result<IssuedKey>> RotateKey(std::string owner_id, std::string id);

  // Stores `body` (already compiled: it is valid) as the app's next rules version and makes it current.
  Task<Result<RulesVersion>> PutRules(std::string owner_id, std::string id, std::string body);
  // kNotFound when the app has no rules yet.
  Task<Result<RulesVersion>> CurrentRules(std::string owner_id, std::string id);
  Task<Result<RulesPage>> ListRules(std::string owner_id, std::string id, std::int64_t page,
                                    std::int64_t per_page);
  Task<Result<RulesVersion>> RulesAt(std::string owner_id, std::string id, std::int64_t version);

 private:
  Task<Result<void>> RequireApp(const std::string& owner_id, const std::string& id);

  sql::Database& db_;
  const Clock& clock_;
  const std::chrono::seconds key_grace_;
};

// {"id", "name", "mode", "rules_version", "created_at", "updated_at"}, and "ingest_key" when given.
nlohmann::ordered_json AppJson(const App& app, const std::optional<std::string>& ingest_key = std::nullopt);

}  // namespace keel::validation
