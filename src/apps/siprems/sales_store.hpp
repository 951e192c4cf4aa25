// Sales in SQL, and the series the models are fitted to: sales summed per day, week or month by the database.
//
// Thread safety: as sql::Database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/siprems/period.hpp"
#include "apps/siprems/sale.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
class Clock;
namespace sql {
class Database;
}
}  // namespace keel

namespace keel::siprems {

struct SalesBucket {
  std::int64_t period = 0;  // first day
  double quantity = 0;
  std::optional<double> revenue;  // quantity x unit price over the sales that have one
  std::int64_t sales = 0;         // rows summed
};

// A product's sales per period, every period from its first sale's to its last one's, periods without a sale
// holding 0 (intermittent demand is demand too).
struct Series {
  Interval interval = Interval::kMonth;
  std::int64_t first_period = 0;  // first day of values[0]
  std::vector<double> values;
  std::int64_t LastPeriod() const {
    return AddPeriods(first_period, interval, static_cast<std::int64_t>(values.size()) - 1);
  }
};

class SalesStore {
 public:
  SalesStore(sql::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Writes every sale or none, in one transaction. A SKU deleted meanwhile fails it (kConflict).
  Task<Result<void>> Insert(std::vector<Sale> sales, std::optional<std::string> import_id);

  // `sku`'s sales per period between two days (inclusive; nullopt: unbounded), oldest first, only periods
  // with sales.
  Task<Result<std::vector<SalesBucket>>> Aggregate(std::string sku, Interval interval,
                                                   std::optional<std::int64_t> from,
                                                   std::optional<std::int64_t> to);
  Task<Result<Series>> SeriesOf(std::string sku, Interval interval);

 private:
  sql::Database& db_;
  const Clock& clock_;
};

}  // namespace keel::siprems
