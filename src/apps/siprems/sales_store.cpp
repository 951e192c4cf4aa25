#include "apps/siprems/sales_store.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "storage/sql/database.hpp"

namespace keel::siprems {
namespace {

// Rows per INSERT: 7 parameters each stays far under every backend's limit.
constexpr std::size_t kRowsPerStatement = 500;

// The GROUP BY key of a period: month as 'YYYY-MM' text, week and day as day numbers. The modulo is kept
// non-negative for days before 1970 (both backends truncate toward zero); 1970-01-01 was a Thursday.
const char* PeriodKey(Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return "day_number";
    case Interval::kWeek:
      return "day_number - ((day_number % 7) + 10) % 7";
    case Interval::kMonth:
      return "substr(day, 1, 7)";
  }
  return "day_number";
}

std::int64_t PeriodFromKey(const sql::Rows& rows, std::size_t r, Interval interval) {
  if (interval == Interval::kMonth) {
    std::string month(rows.Text(r, 0).value_or("1970-01"));
    return ParseDay(month + "-01").value_or(0);
  }
  return rows.Int(r, 0).value_or(0);
}

double Number(const sql::Rows& rows, std::size_t r, std::size_t c) {
  if (auto d = rows.Double(r, c)) return *d;
  return static_cast<double>(rows.Int(r, c).value_or(0));
}

}  // namespace

namespace {

// The INSERT of sales[at, end): built one slice at a time, so a large import never holds every row's
// parameters at once.
sql::Statement InsertSlice(const std::vector<Sale>& sales, std::size_t at, std::size_t end,
                           const std::optional<std::string>& import_id, std::int64_t now) {
  sql::Statement statement;
  statement.sql =
      "INSERT INTO siprems_sales (sku, day, day_number, quantity, unit_price, import_id, created_ms) VALUES ";
  statement.params.reserve((end - at) * 7);
  for (std::size_t i = at; i < end; ++i) {
    const Sale& sale = sales[i];
    statement.sql += i == at ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
    statement.params.push_back(sale.sku);
    statement.params.push_back(FormatDay(sale.day));
    statement.params.push_back(sale.day);
    statement.params.push_back(sale.quantity);
    statement.params.push_back(sale.unit_price ? sql::Value(*sale.unit_price) : sql::Value(nullptr));
    statement.params.push_back(import_id ? sql::Value(*import_id) : sql::Value(nullptr));
    statement.params.push_back(now);
  }
  return statement;
}

}  // namespace

Task<Result<void>> SalesStore::Insert(std::vector<Sale> sales, std::optional<std::string> import_id) {
  const std::int64_t now = clock_.WallMillis();
  Result<void> written = Ok();
  if (sales.size() <= kRowsPerStatement) {
    std::vector<sql::Statement> one;
    one.push_back(InsertSlice(sales, 0, sales.size(), import_id, now));
    written = co_await db_.WriteAll(std::move(one));
  } else {
    written =
        co_await db_.Transaction([&sales, &import_id, now](sql::Session& session) -> Task<Result<void>> {
          for (std::size_t at = 0; at < sales.size(); at += kRowsPerStatement) {
            sql::Statement slice =
                InsertSlice(sales, at, std::min(sales.size(), at + kRowsPerStatement), import_id, now);
            auto inserted = co_await session.Execute(std::move(slice.sql), std::move(slice.params));
            if (!inserted) co_return std::move(inserted).error();
          }
          co_return Ok();
        });
  }
  if (!written && written.error().code == ErrorCode::kConflict)
    co_return Error{ErrorCode::kConflict, "a product these sales name was deleted meanwhile"};
  co_return written;
}

Task<Result<std::vector<SalesBucket>>> SalesStore::Aggregate(std::string sku, Interval interval,
                                                             std::optional<std::int64_t> from,
                                                             std::optional<std::int64_t> to) {
  sql::Params params = sql::Args(sku);
  std::string where = "sku = ?";
  if (from) {
    where += " AND day_number >= ?";
    params.push_back(*from);
  }
  if (to) {
    where += " AND day_number <= ?";
    params.push_back(*to);
  }
  const char* key = PeriodKey(interval);
  auto rows = co_await db_.Query(
      fmt::format("SELECT {0}, SUM(quantity), SUM(quantity * unit_price), COUNT(*) FROM siprems_sales "
                  "WHERE {1} GROUP BY {0} ORDER BY {0}",
                  key, where),
      std::move(params));
  if (!rows) co_return std::move(rows).error();
  std::vector<SalesBucket> buckets;
  buckets.reserve(rows->rows.size());
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    SalesBucket bucket;
    bucket.period = PeriodFromKey(*rows, r, interval);
    bucket.quantity = Number(*rows, r, 1);
    if (!std::holds_alternative<std::nullptr_t>(rows->rows[r][2])) bucket.revenue = Number(*rows, r, 2);
    bucket.sales = rows->Int(r, 3).value_or(0);
    buckets.push_back(bucket);
  }
  co_return buckets;
}

Task<Result<Series>> SalesStore::SeriesOf(std::string sku, Interval interval) {
  auto buckets = co_await Aggregate(std::move(sku), interval, std::nullopt, std::nullopt);
  if (!buckets) co_return std::move(buckets).error();
  Series series;
  series.interval = interval;
  if (buckets->empty()) co_return series;
  series.first_period = buckets->front().period;
  std::int64_t periods = PeriodsBetween(series.first_period, buckets->back().period, interval) + 1;
  series.values.assign(static_cast<std::size_t>(periods), 0.0);
  for (const SalesBucket& bucket : *buckets)
    series.values[static_cast<std::size_t>(PeriodsBetween(series.first_period, bucket.period, interval))] +=
        bucket.quantity;
  co_return series;
}

}  // namespace keel::siprems
