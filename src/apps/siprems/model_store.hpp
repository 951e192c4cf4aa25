// The forecasting models' registry, in SQL so every instance and worker shares it without a shared volume:
// every trained version of every product (named SKU_timestamp, as the seed names its model files), at most
// one served per product, the refused ones kept with the reason. A version is written whole in one
// transaction together with the retirement of the one it replaces, so readers see the old or the new.
//
// Thread safety: as sql::Database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/siprems/forecast_model.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
namespace sql {
class Database;
}
}  // namespace keel

namespace keel::siprems {

struct ModelVersion {
  std::string sku;
  std::string version;
  std::string family;
  std::string status;  // served, retired, refused
  std::optional<std::string> reason;
  double mase = 0;
  nlohmann::json metrics;
  std::int64_t trained_ms = 0;
};

struct ServedModel {
  ModelVersion version;
  ForecastModel model;
};

// SKU_2026-12-03T020000123Z: the product and when it was trained (UTC, to the millisecond).
std::string VersionName(const std::string& sku, std::int64_t trained_ms);

class ModelStore {
 public:
  explicit ModelStore(sql::Database& db) : db_(db) {}

  // The version `sku` serves, or nullopt.
  Task<Result<std::optional<ServedModel>>> Served(std::string sku);
  // Every version of `sku`, newest first (at most `limit`).
  Task<Result<std::vector<ModelVersion>>> Versions(std::string sku, std::int64_t limit);
  // Writes a new version. `serve`: it becomes the served one and the previous one is retired, in the same
  // transaction; otherwise it is recorded as refused with `reason`. kConflict when another trainer's version
  // of the same product was served meanwhile (then nothing is written).
  Task<Result<void>> Record(std::string sku, std::string version, const Candidate& candidate,
                            std::int64_t trained_ms, bool serve, std::optional<std::string> reason,
                            std::optional<std::string> replaces);

 private:
  sql::Database& db_;
};

}  // namespace keel::siprems
