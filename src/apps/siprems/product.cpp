// Field-by-field checks of product input, collecting every error for one 422 answer.
#include "apps/siprems/product.hpp"

#include <cmath>

#include "core/rfc3339.hpp"
#include "http/json_fields.hpp"
#include "http/pagination.hpp"

namespace keel::siprems {
namespace {

constexpr double kMaxPrice = 1e12;
constexpr std::int64_t kMaxStock = 1'000'000'000'000;

// price: absent (nullopt), null, or a finite number >= 0 with at most two decimals' worth of meaning (it is
// rounded to cents).
std::optional<std::optional<double>> Price(http::JsonFields& fields) {
  const nlohmann::json* price = fields.Member("price");
  if (price == nullptr) return std::nullopt;
  if (price->is_null()) return std::optional<double>();
  if (!price->is_number() || !std::isfinite(price->get<double>()) || price->get<double>() < 0 ||
      price->get<double>() > kMaxPrice) {
    fields.AddError("price", "must be a number from 0 to 1e12, or null");
    return std::nullopt;
  }
  return std::optional<double>(std::round(price->get<double>() * 100) / 100);
}

std::optional<std::optional<std::int64_t>> Stock(http::JsonFields& fields) {
  const nlohmann::json* stock = fields.Member("stock");
  if (stock == nullptr) return std::nullopt;
  if (stock->is_null()) return std::optional<std::int64_t>();
  if (!stock->is_number_integer() || stock->get<std::int64_t>() < 0 ||
      stock->get<std::int64_t>() > kMaxStock) {
    fields.AddError("stock", "must be a whole number from 0 to 1e12, or null");
    return std::nullopt;
  }
  return std::optional<std::int64_t>(stock->get<std::int64_t>());
}

ProductPatch ReadFields(http::JsonFields& fields, bool required) {
  ProductPatch patch;
  patch.name = fields.String("name", 1, 200, required, /*trim=*/true);
  patch.category = fields.String("category", 1, 100, false, /*trim=*/true);
  patch.price = Price(fields);
  patch.stock = Stock(fields);
  patch.active = fields.Bool("active", false);
  return patch;
}

}  // namespace

bool ValidSku(std::string_view sku) {
  if (sku.empty() || sku.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(sku.front())) return false;
  for (char c : sku)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

nlohmann::json ProductJson(const Product& p) {
  return nlohmann::json{{"sku", p.sku},
                        {"name", p.name},
                        {"category", p.category},
                        {"price", p.price ? nlohmann::json(*p.price) : nlohmann::json(nullptr)},
                        {"stock", p.stock ? nlohmann::json(*p.stock) : nlohmann::json(nullptr)},
                        {"active", p.active},
                        {"source", p.source},
                        {"created_at", FormatRfc3339(p.created_ms)},
                        {"updated_at", FormatRfc3339(p.updated_ms)}};
}

std::variant<Product, Invalid> ParseNewProduct(std::string_view body) {
  http::JsonFields fields(body);
  if (!fields.ok()) return fields.problem();
  fields.RejectUnknown({"sku", "name", "category", "price", "stock", "active"});
  auto sku = fields.String("sku", 1, 64, /*required=*/true);
  if (sku && !ValidSku(*sku))
    fields.AddError("sku",
                    "must be 1-64 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
  ProductPatch given = ReadFields(fields, /*required=*/true);
  if (!fields.ok()) return fields.problem();
  Product product;
  product.sku = std::move(*sku);
  product.name = std::move(*given.name);
  product.category = given.category.value_or("uncategorized");
  if (given.price) product.price = *given.price;
  if (given.stock) product.stock = *given.stock;
  product.active = given.active.value_or(true);
  return product;
}

std::variant<ProductPatch, Invalid> ParseProductPatch(std::string_view body) {
  http::JsonFields fields(body);
  if (!fields.ok()) return fields.problem();
  fields.RejectUnknown({"name", "category", "price", "stock", "active"});
  ProductPatch patch = ReadFields(fields, /*required=*/false);
  if (fields.ok() && patch.Empty()) fields.AddError("body", "names no field to change");
  if (!fields.ok()) return fields.problem();
  return patch;
}

std::variant<ProductQuery, Invalid> ParseProductQuery(const http::Request& request) {
  std::vector<http::FieldError> errors;
  ProductQuery query;
  auto pagination = http::ParsePagination(request, errors);
  query.page = pagination.page;
  query.per_page = pagination.per_page;
  if (auto category = request.QueryParam("category")) {
    if (category->empty() || category->size() > 100)
      errors.push_back({"category", "must be 1-100 characters"});
    else
      query.category = std::string(*category);
  }
  if (auto active = request.QueryParam("active")) {
    if (*active == "true")
      query.active = true;
    else if (*active == "false")
      query.active = false;
    else
      errors.push_back({"active", "must be true or false"});
  }
  if (!errors.empty()) return Invalid{std::nullopt, std::move(errors)};
  return query;
}

}  // namespace keel::siprems
