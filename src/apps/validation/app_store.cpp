// AppStore: fixed statements, values bound as parameters.
#include "apps/validation/app_store.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/random.hpp"
#include "core/rfc3339.hpp"
#include "core/sha256.hpp"

namespace keel::validation {
namespace {

constexpr const char* kColumns = "id, owner_id, name, mode, rules_version, created_at, updated_at";

App FromRow(const sql::Rows& rows, std::size_t r) {
  App app;
  app.id = std::string(rows.Text(r, 0).value_or(""));
  app.owner_id = std::string(rows.Text(r, 1).value_or(""));
  app.name = std::string(rows.Text(r, 2).value_or(""));
  app.mode = std::string(rows.Text(r, 3).value_or(""));
  app.rules_version = rows.Int(r, 4);
  app.created_at = std::string(rows.Text(r, 5).value_or(""));
  app.updated_at = std::string(rows.Text(r, 6).value_or(""));
  return app;
}

RulesVersion RulesFromRow(const sql::Rows& rows, std::size_t r) {
  return RulesVersion{rows.Int(r, 0).value_or(0), std::string(rows.Text(r, 1).value_or("")),
                      std::string(rows.Text(r, 2).value_or(""))};
}

Error NoApp() { return Error{ErrorCode::kNotFound, "no such app"}; }

// A new key: "lvd_" and 32 random bytes, stored as its SHA-256.
std::string NewIngestKey() { return std::string(kIngestKeyPrefix) + RandomToken(32); }

constexpr const char* kInsertKey =
    "INSERT INTO validation_ingest_keys (key_hash, app_id, prefix, created_at) VALUES (?, ?, ?, ?)";

}  // namespace

nlohmann::ordered_json AppJson(const App& app, const std::optional<std::string>& ingest_key) {
  nlohmann::ordered_json json = {{"id", app.id}, {"name", app.name}, {"mode", app.mode}};
  json["rules_version"] = app.rules_version ? nlohmann::ordered_json(*app.rules_version) : nullptr;
  json["created_at"] = app.created_at;
  json["updated_at"] = app.updated_at;
  if (ingest_key) json["ingest_key"] = *ingest_key;
  return json;
}

Task<Result<std::pair<App, std::string>>> AppStore::Create(std::string owner_id, std::string name,
                                                           std::string mode) {
  App app{NewId(), std::move(owner_id), std::move(name), std::move(mode), std::nullopt, "", ""};
  app.created_at = app.updated_at = FormatRfc3339(clock_.WallMillis());
  std::string key = NewIngestKey();
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    auto inserted = co_await session.Execute(
        "INSERT INTO validation_apps (id, owner_id, name, mode, created_at, updated_at) VALUES (?, ?, ?, ?, "
        "?, ?)",
        sql::Args(app.id, app.owner_id, app.name, app.mode, app.created_at, app.updated_at));
    if (!inserted) co_return std::move(inserted).error();
    sql::Params key_row = sql::Args(Sha256Hex(key), app.id, key.substr(0, 12), app.created_at);
    auto keyed = co_await session.Execute(kInsertKey, std::move(key_row));
    if (!keyed) co_return std::move(keyed).error();
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  co_return std::pair{std::move(app), std::move(key)};
}

Task<Result<App>> AppStore::Find(std::string owner_id, std::string id) {
  auto rows = co_await db_.Query(
      fmt::format("SELECT {} FROM validation_apps WHERE id = ? AND owner_id = ?", kColumns),
      sql::Args(id, owner_id));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return NoApp();
  co_return FromRow(*rows, 0);
}

Task<Result<AppPage>> AppStore::List(std::string owner_id, std::int64_t page, std::int64_t per_page) {
  auto rows = co_await db_.Query(fmt::format("SELECT {} FROM validation_apps WHERE owner_id = ? ORDER BY "
                                             "created_at DESC, id DESC LIMIT ? OFFSET ?",
                                             kColumns),
                                 sql::Args(owner_id, per_page, (page - 1) * per_page));
  if (!rows) co_return std::move(rows).error();
  auto count =
      co_await db_.Query("SELECT COUNT(*) FROM validation_apps WHERE owner_id = ?", sql::Args(owner_id));
  if (!count) co_return std::move(count).error();
  AppPage result;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) result.items.push_back(FromRow(*rows, r));
  result.total = count->Int(0, 0).value_or(0);
  co_return result;
}

Task<Result<App>> AppStore::Update(std::string owner_id, std::string id, std::optional<std::string> name,
                                   std::optional<std::string> mode) {
  // Parameters named before the co_await: g++ 12 destroys temporaries of a conditional in a co_await
  // expression twice.
  sql::Params params;
  params.push_back(name ? sql::Value(*name) : sql::Value(nullptr));
  params.push_back(mode ? sql::Value(*mode) : sql::Value(nullptr));
  params.push_back(FormatRfc3339(clock_.WallMillis()));
  params.push_back(id);
  params.push_back(owner_id);
  auto updated = co_await db_.Execute(
      "UPDATE validation_apps SET name = COALESCE(?, name), mode = COALESCE(?, mode), updated_at = ? "
      "WHERE id = ? AND owner_id = ?",
      std::move(params));
  if (!updated) co_return std::move(updated).error();
  if (*updated == 0) co_return NoApp();
  co_return co_await Find(std::move(owner_id), std::move(id));
}

Task<Result<void>> AppStore::Delete(std::string owner_id, std::string id) {
  auto deleted = co_await db_.Execute("DELETE FROM validation_apps WHERE id = ? AND owner_id = ?",
                                      sql::Args(id, owner_id));
  if (!deleted) co_return std::move(deleted).error();
  if (*deleted == 0) co_return NoApp();
  // The rollups have no foreign key (a flush may land after the delete); what lands late, retention prunes.
  std::vector<sql::Statement> rollups = {
      {"DELETE FROM validation_rollups WHERE app_id = ?", sql::Args(id)},
      {"DELETE FROM validation_violation_rollups WHERE app_id = ?", sql::Args(id)}};
  auto pruned = co_await db_.WriteAll(std::move(rollups));
  if (!pruned) co_return std::move(pruned).error();
  co_return Ok();
}

Task<Result<void>> AppStore::RequireApp(const std::string& owner_id, const std::string& id) {
  auto rows = co_await db_.Query("SELECT 1 FROM validation_apps WHERE id = ? AND owner_id = ?",
                                 sql::Args(id, owner_id));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return NoApp();
  co_return Ok();
}

Task<Result<IssuedKey>> AppStore::RotateKey(std::string owner_id, std::string id) {
  IssuedKey issued{NewIngestKey(), std::nullopt};
  const std::int64_t now = clock_.WallMillis();
  std::string expires =
      FormatRfc3339(now + std::chrono::duration_cast<std::chrono::milliseconds>(key_grace_).count());
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    auto owned = co_await session.Query("SELECT 1 FROM validation_apps WHERE id = ? AND owner_id = ?",
                                        sql::Args(id, owner_id));
    if (!owned) co_return std::move(owned).error();
    if (owned->empty()) co_return NoApp();
    // RFC 3339 UTC strings of one form sort in time order: MIN keeps a sooner expiry.
    auto expired = co_await session.Execute(
        "UPDATE validation_ingest_keys SET expires_at = ? WHERE app_id = ? AND (expires_at IS NULL OR "
        "expires_at > ?)",
        sql::Args(expires, id, expires));
    if (!expired) co_return std::move(expired).error();
    if (*expired > 0) issued.previous_expires_at = expires;
    sql::Params key_row = sql::Args(Sha256Hex(issued.key), id, issued.key.substr(0, 12), FormatRfc3339(now));
    auto keyed = co_await session.Execute(kInsertKey, std::move(key_row));
    if (!keyed) co_return std::move(keyed).error();
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  co_return issued;
}

Task<Result<RulesVersion>> AppStore::PutRules(std::string owner_id, std::string id, std::string body) {
  RulesVersion stored{0, std::move(body), FormatRfc3339(clock_.WallMillis())};
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    // The app's row is the lock that numbers versions: concurrent PUTs get consecutive numbers.
    auto next = co_await session.Query(
        "UPDATE validation_apps SET rules_version = COALESCE(rules_version, 0) + 1, updated_at = ? "
        "WHERE id = ? AND owner_id = ? RETURNING rules_version",
        sql::Args(stored.created_at, id, owner_id));
    if (!next) co_return std::move(next).error();
    if (next->empty()) co_return NoApp();
    stored.version = next->Int(0, 0).value_or(0);
    auto inserted = co_await session.Execute(
        "INSERT INTO validation_rules (app_id, version, body, created_at) VALUES (?, ?, ?, ?)",
        sql::Args(id, stored.version, stored.body, stored.created_at));
    if (!inserted) co_return std::move(inserted).error();
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  co_return stored;
}

Task<Result<RulesVersion>> AppStore::CurrentRules(std::string owner_id, std::string id) {
  auto rows = co_await db_.Query(
      "SELECT r.version, r.body, r.created_at FROM validation_apps a JOIN validation_rules r "
      "ON r.app_id = a.id AND r.version = a.rules_version WHERE a.id = ? AND a.owner_id = ?",
      sql::Args(id, owner_id));
  if (!rows) co_return std::move(rows).error();
  if (!rows->empty()) co_return RulesFromRow(*rows, 0);
  if (auto app = co_await RequireApp(owner_id, id); !app) co_return std::move(app).error();
  co_return Error{ErrorCode::kNotFound, "this app has no rules yet: PUT /api/v1/apps/{app_id}/rules"};
}

Task<Result<RulesPage>> AppStore::ListRules(std::string owner_id, std::string id, std::int64_t page,
                                            std::int64_t per_page) {
  if (auto app = co_await RequireApp(owner_id, id); !app) co_return std::move(app).error();
  auto rows = co_await db_.Query(
      "SELECT version, body, created_at FROM validation_rules WHERE app_id = ? ORDER BY version DESC LIMIT ? "
      "OFFSET ?",
      sql::Args(id, per_page, (page - 1) * per_page));
  if (!rows) co_return std::move(rows).error();
  auto count = co_await db_.Query("SELECT COUNT(*) FROM validation_rules WHERE app_id = ?", sql::Args(id));
  if (!count) co_return std::move(count).error();
  RulesPage result;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) result.items.push_back(RulesFromRow(*rows, r));
  result.total = count->Int(0, 0).value_or(0);
  co_return result;
}

Task<Result<RulesVersion>> AppStore::RulesAt(std::string owner_id, std::string id, std::int64_t version) {
  auto rows = co_await db_.Query(
      "SELECT r.version, r.body, r.created_at FROM validation_rules r JOIN validation_apps a ON a.id = "
      "r.app_id "
      "WHERE r.app_id = ? AND a.owner_id = ? AND r.version = ?",
      sql::Args(id, owner_id, version));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return Error{ErrorCode::kNotFound, "no such app or rules version"};
  co_return RulesFromRow(*rows, 0);
}

}  // namespace keel::validation
