// Prediction rollups: a batch's totals by minute, hour and day, the upsert that adds them, the window read.
#include "ml/prediction_rollups.hpp"

#include <array>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "storage/sql/database.hpp"

namespace keel::ml {

namespace {

std::int64_t PeriodStart(std::int64_t at_ms, std::int64_t period_ms) {
  std::int64_t start = at_ms - at_ms % period_ms;
  return at_ms < 0 && at_ms % period_ms != 0 ? start - period_ms : start;
}

// Counts and sums add up in the upsert; RETURNING gives the row's count after it and the sketches before it.
constexpr const char* kAddTotals =
    "INSERT INTO prediction_rollups (model, period_ms, start_ms, version, shadow, count, cached, "
    "prediction_sum, "
    "latency_sketch, prediction_sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (model, period_ms, start_ms, version, shadow) DO UPDATE SET "
    "count = prediction_rollups.count + excluded.count, cached = prediction_rollups.cached + "
    "excluded.cached, "
    "prediction_sum = prediction_rollups.prediction_sum + excluded.prediction_sum "
    "RETURNING count, latency_sketch, prediction_sketch";

constexpr const char* kSetSketches =
    "UPDATE prediction_rollups SET latency_sketch = ?, prediction_sketch = ? "
    "WHERE model = ? AND period_ms = ? AND start_ms = ? AND version = ? AND shadow = ?";

constexpr const char* kReadPeriods =
    "SELECT version, shadow, count, cached, prediction_sum, latency_sketch, prediction_sketch "
    "FROM prediction_rollups WHERE model = ? AND period_ms = ? AND start_ms >= ? AND start_ms < ?";

Result<QuantileSketch> SketchAt(const sql::Rows& rows, std::size_t row, std::size_t column) {
  auto sketch = QuantileSketch::Decode(rows.Text(row, column).value_or(""));
  if (!sketch)
    return Error{ErrorCode::kInternal,
                 fmt::format("prediction_rollups holds a sketch that does not parse: {:.80}",
                             rows.Text(row, column).value_or("NULL"))};
  return std::move(*sketch);
}

// The stored sketches merged with the batch's, for the UPDATE (outside the coroutine: g++ 12 and
// temporaries).
Result<sql::Params> MergedSketches(const sql::Rows& stored, const RollupKey& key, const RollupTotals& batch) {
  auto latency = SketchAt(stored, 0, 1);
  if (!latency) return std::move(latency).error();
  auto prediction = SketchAt(stored, 0, 2);
  if (!prediction) return std::move(prediction).error();
  latency->Merge(batch.latency_us);
  prediction->Merge(batch.prediction);
  return sql::Args(latency->Encode(), prediction->Encode(), key.model, key.period_ms, key.start_ms,
                   key.version, key.shadow ? 1 : 0);
}

sql::Params UpsertParams(const RollupKey& key, const RollupTotals& batch) {
  return sql::Args(key.model, key.period_ms, key.start_ms, key.version, key.shadow ? 1 : 0, batch.count,
                   batch.cached, batch.prediction_sum, batch.latency_us.Encode(), batch.prediction.Encode());
}

// The rows of one period length whose start is in [from_ms, until_ms).
struct PeriodRange {
  std::int64_t period_ms;
  std::int64_t from_ms;
  std::int64_t until_ms;
};
constexpr std::int64_t kEndOfTime = std::numeric_limits<std::int64_t>::max();

sql::Params RangeParams(const std::string& model, const PeriodRange& range) {
  return sql::Args(model, range.period_ms, range.from_ms, range.until_ms);
}

using TotalsByVersion = std::map<std::pair<std::string, bool>, RollupTotals>;

std::vector<VersionTotals> Listed(TotalsByVersion merged) {
  std::vector<VersionTotals> out;
  out.reserve(merged.size());
  for (auto& [version_role, totals] : merged)
    out.push_back(VersionTotals{version_role.first, version_role.second, std::move(totals)});
  return out;
}

// Adds one row of a window read to the version's totals.
Result<void> AddRow(const sql::Rows& rows, std::size_t row, TotalsByVersion& into) {
  RollupTotals totals;
  totals.count = rows.Int(row, 2).value_or(0);
  totals.cached = rows.Int(row, 3).value_or(0);
  totals.prediction_sum = rows.Double(row, 4).value_or(0);  // integers too
  auto latency = SketchAt(rows, row, 5);
  if (!latency) return std::move(latency).error();
  auto prediction = SketchAt(rows, row, 6);
  if (!prediction) return std::move(prediction).error();
  totals.latency_us = std::move(*latency);
  totals.prediction = std::move(*prediction);
  into[{std::string(rows.Text(row, 0).value_or("")), rows.Int(row, 1).value_or(0) != 0}].Merge(totals);
  return Ok();
}

}  // namespace

void RollupTotals::Add(const PredictionRecord& record) {
  ++count;
  cached += record.cached ? 1 : 0;
  prediction_sum += record.prediction;
  latency_us.Add(static_cast<double>(record.latency_us));
  prediction.Add(record.prediction);
}

void RollupTotals::Merge(const RollupTotals& other) {
  count += other.count;
  cached += other.cached;
  prediction_sum += other.prediction_sum;
  latency_us.Merge(other.latency_us);
  prediction.Merge(other.prediction);
}

std::map<RollupKey, RollupTotals> RollUp(const std::vector<PredictionRecord>& batch) {
  std::map<RollupKey, RollupTotals> totals;
  for (const PredictionRecord& record : batch) {
    for (std::int64_t period : {kRollupMinuteMs, kRollupHourMs, kRollupDayMs}) {
      RollupKey key{record.model->name, period, PeriodStart(record.at_ms, period), record.model->version,
                    record.shadow};
      totals[std::move(key)].Add(record);
    }
  }
  return totals;
}

Task<Result<void>> AddToRollups(sql::Session& session, const std::map<RollupKey, RollupTotals>& totals) {
  for (const auto& [key, batch] : totals) {
    sql::Params params = UpsertParams(key, batch);
    auto stored = co_await session.Query(kAddTotals, std::move(params));
    if (!stored) co_return std::move(stored).error();
    if (stored->empty()) co_return Error{ErrorCode::kInternal, "the rollup upsert returned no row"};
    // Inserted: the row holds this batch's sketches already.
    if (stored->Int(0, 0).value_or(0) == batch.count) continue;
    auto merged = MergedSketches(*stored, key, batch);
    if (!merged) co_return std::move(merged).error();
    auto updated = co_await session.Execute(kSetSketches, std::move(*merged));
    if (!updated) co_return std::move(updated).error();
  }
  co_return Ok();
}

Task<Result<std::vector<VersionTotals>>> ReadRollups(sql::Database& db, std::string model,
                                                     std::int64_t since_ms) {
  // Each period's rows from the window's first whole one to the next period's first whole one.
  std::int64_t first_minute = PeriodStart(since_ms, kRollupMinuteMs);
  std::int64_t first_hour = PeriodStart(first_minute + kRollupHourMs - 1, kRollupHourMs);
  std::int64_t first_day = PeriodStart(first_hour + kRollupDayMs - 1, kRollupDayMs);
  const std::array<PeriodRange, 3> ranges{PeriodRange{kRollupMinuteMs, first_minute, first_hour},
                                          PeriodRange{kRollupHourMs, first_hour, first_day},
                                          PeriodRange{kRollupDayMs, first_day, kEndOfTime}};
  TotalsByVersion merged;
  for (const PeriodRange& range : ranges) {
    if (range.from_ms >= range.until_ms) continue;
    auto rows = co_await db.Query(kReadPeriods, RangeParams(model, range));
    if (!rows) co_return std::move(rows).error();
    for (std::size_t row = 0; row < rows->rows.size(); ++row) {
      auto added = AddRow(*rows, row, merged);
      if (!added) co_return std::move(added).error();
    }
  }
  co_return Listed(std::move(merged));
}

}  // namespace keel::ml
