// A product of the catalogue and the checks its fields pass: what the products routes read and answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/json_body.hpp"
#include "http/message.hpp"

namespace keel::siprems {

using Invalid = http::InputProblem;

struct Product {
  std::string sku;
  std::string name;
  std::string category;
  std::optional<double> price;        // null: not known
  std::optional<std::int64_t> stock;  // null: not tracked
  bool active = true;
  std::string source = "user";  // user, catalogue, synthetic
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

// What a PATCH may change; the SKU never changes. price and stock: nullopt leaves them, a null clears them.
struct ProductPatch {
  std::optional<std::string> name;
  std::optional<std::string> category;
  std::optional<std::optional<double>> price;
  std::optional<std::optional<std::int64_t>> stock;
  std::optional<bool> active;
  bool Empty() const { return !name && !category && !price && !stock && !active; }
};

// SKUs are 1-64 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit: safe in paths, CSV and
// model version names as they are.
bool ValidSku(std::string_view sku);

nlohmann::json ProductJson(const Product& product);

std::variant<Product, Invalid> ParseNewProduct(std::string_view body);
std::variant<ProductPatch, Invalid> ParseProductPatch(std::string_view body);

struct ProductQuery {
  std::optional<std::string> category;
  std::optional<bool> active;
  std::int64_t page = 1;
  std::int64_t per_page = 20;
};
std::variant<ProductQuery, Invalid> ParseProductQuery(const http::Request& request);

}  // namespace keel::siprems
