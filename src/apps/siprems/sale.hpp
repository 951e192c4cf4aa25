// A sale as the sales routes read it (one JSON row, or one CSV line of an import) and the checks it passes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "apps/siprems/product.hpp"

namespace keel::siprems {

struct Sale {
  std::string sku;
  std::int64_t day = 0;  // days since 1970-01-01
  double quantity = 0;
  std::optional<double> unit_price;
};

// Most rows one POST /api/v1/sales takes; more go through the CSV import.
inline constexpr std::size_t kMaxSalesPerRequest = 10000;

// One object, or an array of objects {"sku", "date": "YYYY-MM-DD", "quantity" >= 0, "unit_price"?}; field
// errors are named "[i].field" for arrays.
std::variant<std::vector<Sale>, Invalid> ParseSales(std::string_view body);

// The checks a quantity and a unit price pass, as text for an import's line reports; nullopt when fine.
std::optional<std::string> CheckQuantity(double quantity);
std::optional<std::string> CheckUnitPrice(double price);

}  // namespace keel::siprems
