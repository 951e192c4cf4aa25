#include "apps/siprems/model_store.hpp"

#include <fmt/format.h>

#include "core/rfc3339.hpp"
#include "storage/sql/database.hpp"

namespace keel::siprems {
namespace {

constexpr const char* kVersionColumns = "sku, version, family, status, reason, mase, metrics, trained_ms";

ModelVersion VersionFromRow(const sql::Rows& rows, std::size_t r) {
  ModelVersion v;
  v.sku = std::string(rows.Text(r, 0).value_or(""));
  v.version = std::string(rows.Text(r, 1).value_or(""));
  v.family = std::string(rows.Text(r, 2).value_or(""));
  v.status = std::string(rows.Text(r, 3).value_or(""));
  if (auto reason = rows.Text(r, 4)) v.reason = std::string(*reason);
  v.mase = rows.Double(r, 5).value_or(0);
  v.metrics = nlohmann::json::parse(rows.Text(r, 6).value_or("{}"), nullptr, /*allow_exceptions=*/false);
  v.trained_ms = rows.Int(r, 7).value_or(0);
  return v;
}

}  // namespace

std::string VersionName(const std::string& sku, std::int64_t trained_ms) {
  // 2026-12-03T02:00:00.123Z -> 2026-12-03T020000123Z: no colons, so it is a valid file name everywhere.
  std::string stamp;
  for (char c : FormatRfc3339(trained_ms))
    if (c != ':' && c != '.') stamp += c;
  return sku + "_" + stamp;
}

namespace {

// The served row read into a model, or nullopt. Outside the coroutine: g++ 12 warns that an empty optional
// co_returned from one "may be used uninitialized".
Result<std::optional<ServedModel>> ServedFrom(Result<sql::Rows> rows) {
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return std::optional<ServedModel>();
  auto model = ParseModel(rows->Text(0, 8).value_or(""));
  if (!model) return std::move(model).error();
  return std::optional<ServedModel>(ServedModel{VersionFromRow(*rows, 0), std::move(*model)});
}

}  // namespace

Task<Result<std::optional<ServedModel>>> ModelStore::Served(std::string sku) {
  auto rows = co_await db_.Query(
      fmt::format("SELECT {}, model FROM siprems_models WHERE sku = ? AND status = 'served'",
                  kVersionColumns),
      sql::Args(sku));
  co_return ServedFrom(std::move(rows));
}

Task<Result<std::vector<ModelVersion>>> ModelStore::Versions(std::string sku, std::int64_t limit) {
  auto rows = co_await db_.Query(
      fmt::format(
          "SELECT {} FROM siprems_models WHERE sku = ? ORDER BY trained_ms DESC, version DESC LIMIT ?",
          kVersionColumns),
      sql::Args(sku, limit));
  if (!rows) co_return std::move(rows).error();
  std::vector<ModelVersion> versions;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) versions.push_back(VersionFromRow(*rows, r));
  co_return versions;
}

namespace {

// Built outside the coroutine: g++ 12 miscompiles braced lists of non-trivial types inside one.
std::vector<sql::Statement> RecordStatements(const std::string& sku, const std::string& version,
                                             const Candidate& candidate, std::int64_t trained_ms, bool serve,
                                             const std::optional<std::string>& reason,
                                             const std::optional<std::string>& replaces) {
  std::vector<sql::Statement> statements;
  // Retires exactly the version the trainer compared against; if another was served since, the insert below
  // meets the one-served-per-product index and the whole transaction fails.
  if (serve && replaces)
    statements.push_back(
        {"UPDATE siprems_models SET status = 'retired' WHERE sku = ? AND version = ? "
         "AND status = 'served'",
         sql::Args(sku, *replaces)});
  sql::Params params =
      sql::Args(sku, version, std::string(ml::timeseries::FamilyName(candidate.model.family)),
                std::string(serve ? "served" : "refused"));
  params.push_back(reason ? sql::Value(*reason) : sql::Value(nullptr));
  params.push_back(ModelJson(candidate.model).dump());
  params.push_back(candidate.metrics.dump());
  params.push_back(candidate.mase);
  params.push_back(trained_ms);
  statements.push_back(
      {"INSERT INTO siprems_models (sku, version, family, status, reason, model, metrics, mase, "
       "trained_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
       std::move(params)});
  return statements;
}

}  // namespace

Task<Result<void>> ModelStore::Record(std::string sku, std::string version, const Candidate& candidate,
                                      std::int64_t trained_ms, bool serve, std::optional<std::string> reason,
                                      std::optional<std::string> replaces) {
  auto written =
      co_await db_.WriteAll(RecordStatements(sku, version, candidate, trained_ms, serve, reason, replaces));
  if (!written && written.error().code == ErrorCode::kConflict)
    co_return Error{ErrorCode::kConflict, "another version of " + sku + " was served meanwhile"};
  co_return written;
}

}  // namespace keel::siprems
