// Per-minute, per-hour and per-day rollups of the prediction log, so that a window's stats cost the same
// whatever the traffic: for each model, version and role (served or shadow), the count, cache hits and sum of
// predictions (exact), and quantile sketches of latency and of the predictions (ml/quantile_sketch.hpp:
// within 1%).
//
// The log writer adds each batch's totals to the rows of its minutes and hours in the transaction that
// inserts the batch's rows, so the rollups count exactly the rows written. Counts and sums add in the upsert;
// the sketches are merged by the writer, which reads them from the row the upsert has just locked, so
// instances writing the same rows take turns and none is lost. Keys are written in one order everywhere: two
// writers cannot deadlock. Rows logged before the rollups existed (schema 202612032100) are not counted.
//
// A window is read as whole minutes: the minute holding its start counts whole. Minute rows cover the window
// up to its first whole hour, hour rows from there to its first whole day (UTC), day rows the rest (the
// current day's row included): at most 59 + 23 + 31 rows per version and role, whatever the window.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"
#include "ml/prediction_log.hpp"
#include "ml/quantile_sketch.hpp"

namespace keel::sql {
class Database;
class Session;
}  // namespace keel::sql

namespace keel::ml {

inline constexpr std::int64_t kRollupMinuteMs = 60'000;
inline constexpr std::int64_t kRollupHourMs = 3'600'000;
inline constexpr std::int64_t kRollupDayMs = 86'400'000;

// What some predictions add up to.
struct RollupTotals {
  std::int64_t count = 0;
  std::int64_t cached = 0;
  double prediction_sum = 0;
  QuantileSketch latency_us;
  QuantileSketch prediction;

  void Add(const PredictionRecord& record);
  void Merge(const RollupTotals& other);
};

struct RollupKey {
  std::string model;
  std::int64_t period_ms = 0;  // kRollupMinuteMs, kRollupHourMs or kRollupDayMs
  std::int64_t start_ms = 0;   // a multiple of period_ms
  std::string version;
  bool shadow = false;
  friend auto operator<=>(const RollupKey&, const RollupKey&) = default;
};

// A batch's totals per key: each record counts in its minute, its hour and its day.
std::map<RollupKey, RollupTotals> RollUp(const std::vector<PredictionRecord>& batch);

// Adds `totals` to the stored rollups inside the caller's transaction, in key order.
Task<Result<void>> AddToRollups(sql::Session& session, const std::map<RollupKey, RollupTotals>& totals);

// One version's totals in one role over a window.
struct VersionTotals {
  std::string version;
  bool shadow = false;
  RollupTotals totals;
};

// `model`'s totals per version and role from the minute holding since_ms on, in no particular order.
Task<Result<std::vector<VersionTotals>>> ReadRollups(sql::Database& db, std::string model,
                                                     std::int64_t since_ms);

}  // namespace keel::ml
