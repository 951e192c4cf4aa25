// The catalogue in SQL: products by SKU. Deleting a product deletes its sales and models with it.
//
// Thread safety: as sql::Database.
#pragma once

#include <string>
#include <vector>

#include "apps/siprems/product.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
class Clock;
namespace sql {
class Database;
}
}  // namespace keel

namespace keel::siprems {

struct ProductPage {
  std::vector<Product> items;
  std::int64_t total = 0;
};

class ProductStore {
 public:
  ProductStore(sql::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // kConflict when the SKU is taken.
  Task<Result<Product>> Create(Product product);
  // Many at once, in one transaction (the seed and synthetic catalogues); kConflict when any SKU is taken,
  // and then none is written.
  Task<Result<void>> CreateMany(std::vector<Product> products);
  Task<Result<ProductPage>> List(ProductQuery query);
  // kNotFound when there is no such SKU.
  Task<Result<Product>> Find(std::string sku);
  Task<Result<Product>> Update(std::string sku, ProductPatch patch);
  Task<Result<void>> Delete(std::string sku);
  // Of `skus`, those the catalogue does not hold.
  Task<Result<std::vector<std::string>>> Unknown(std::vector<std::string> skus);
  // Every SKU, in order (training runs over them).
  Task<Result<std::vector<std::string>>> AllSkus();

 private:
  sql::Database& db_;
  const Clock& clock_;
};

}  // namespace keel::siprems
