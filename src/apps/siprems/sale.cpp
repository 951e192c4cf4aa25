#include "apps/siprems/sale.hpp"

#include <cmath>

#include <fmt/format.h>

#include "apps/siprems/period.hpp"
#include "http/json_body.hpp"

namespace keel::siprems {
namespace {

constexpr double kMaxQuantity = 1e12;
constexpr double kMaxPrice = 1e12;

// Reads one row object; errors go to `errors` named with `prefix` ("" or "[3].").
std::optional<Sale> ReadSale(const nlohmann::json& row, const std::string& prefix,
                             std::vector<http::FieldError>& errors) {
  if (!row.is_object()) {
    errors.push_back({prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1), "must be an object"});
    return std::nullopt;
  }
  std::size_t before = errors.size();
  for (const auto& [name, value] : row.items())
    if (name != "sku" && name != "date" && name != "quantity" && name != "unit_price")
      errors.push_back({prefix + name, "is not a field of a sale"});
  Sale sale;
  auto sku = row.find("sku");
  if (sku == row.end() || !sku->is_string() || !ValidSku(sku->get<std::string>()))
    errors.push_back({prefix + "sku", "must be a product's SKU"});
  else
    sale.sku = sku->get<std::string>();
  auto date = row.find("date");
  std::optional<std::int64_t> day;
  if (date != row.end() && date->is_string()) day = ParseDay(date->get<std::string>());
  if (!day)
    errors.push_back({prefix + "date", "must be a date YYYY-MM-DD between 1900 and 2999"});
  else
    sale.day = *day;
  auto quantity = row.find("quantity");
  if (quantity == row.end() || !quantity->is_number()) {
    errors.push_back({prefix + "quantity", "must be a number >= 0"});
  } else if (auto wrong = CheckQuantity(quantity->get<double>())) {
    errors.push_back({prefix + "quantity", *wrong});
  } else {
    sale.quantity = quantity->get<double>();
  }
  auto price = row.find("unit_price");
  if (price != row.end() && !price->is_null()) {
    if (!price->is_number())
      errors.push_back({prefix + "unit_price", "must be a number >= 0, or null"});
    else if (auto wrong = CheckUnitPrice(price->get<double>()))
      errors.push_back({prefix + "unit_price", *wrong});
    else
      sale.unit_price = price->get<double>();
  }
  if (errors.size() != before) return std::nullopt;
  return sale;
}

}  // namespace

std::optional<std::string> CheckQuantity(double quantity) {
  if (!std::isfinite(quantity) || quantity < 0 || quantity > kMaxQuantity)
    return "must be a number from 0 to 1e12";
  return std::nullopt;
}

std::optional<std::string> CheckUnitPrice(double price) {
  if (!std::isfinite(price) || price < 0 || price > kMaxPrice) return "must be a number from 0 to 1e12";
  return std::nullopt;
}

std::variant<std::vector<Sale>, Invalid> ParseSales(std::string_view body) {
  http::JsonBody parsed = http::ParseJsonBody(body);
  if (parsed.malformed) return Invalid{parsed.malformed, {}};
  std::vector<http::FieldError> errors = std::move(parsed.errors);
  if (!errors.empty()) return Invalid{std::nullopt, std::move(errors)};
  const nlohmann::json* json = &parsed.value;
  std::vector<Sale> sales;
  if (json->is_array()) {
    if (json->empty()) errors.push_back({"body", "holds no sale"});
    if (json->size() > kMaxSalesPerRequest)
      errors.push_back({"body", fmt::format("holds more than {} sales: use POST /api/v1/sales/import",
                                            kMaxSalesPerRequest)});
    if (errors.empty())
      for (std::size_t i = 0; i < json->size(); ++i)
        if (auto sale = ReadSale((*json)[i], fmt::format("[{}].", i), errors))
          sales.push_back(std::move(*sale));
  } else if (auto sale = ReadSale(*json, "", errors)) {
    sales.push_back(std::move(*sale));
  }
  if (!errors.empty()) return Invalid{std::nullopt, std::move(errors)};
  return sales;
}

}  // namespace keel::siprems
