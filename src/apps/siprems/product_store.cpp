#include "apps/siprems/product_store.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "storage/sql/database.hpp"

namespace keel::siprems {
namespace {

constexpr const char* kProductColumns =
    "sku, name, category, price, stock, active, source, created_ms, updated_ms";

Product ProductFromRow(const sql::Rows& rows, std::size_t r) {
  Product p;
  p.sku = std::string(rows.Text(r, 0).value_or(""));
  p.name = std::string(rows.Text(r, 1).value_or(""));
  p.category = std::string(rows.Text(r, 2).value_or(""));
  p.price = rows.Double(r, 3);
  if (!p.price && rows.Int(r, 3)) p.price = static_cast<double>(*rows.Int(r, 3));
  p.stock = rows.Int(r, 4);
  p.active = rows.Int(r, 5).value_or(1) != 0;
  p.source = std::string(rows.Text(r, 6).value_or("user"));
  p.created_ms = rows.Int(r, 7).value_or(0);
  p.updated_ms = rows.Int(r, 8).value_or(0);
  return p;
}

sql::Value Nullable(const std::optional<double>& value) {
  return value ? sql::Value(*value) : sql::Value(nullptr);
}
sql::Value Nullable(const std::optional<std::int64_t>& value) {
  return value ? sql::Value(*value) : sql::Value(nullptr);
}

Error NoSuchProduct(const std::string& sku) {
  return Error{ErrorCode::kNotFound, "no product with SKU " + sku};
}

// The UPDATE's parameters: every column is named, and flags say which to keep, so one fixed statement serves
// every patch. Outside the coroutine: g++ 12 mishandles conditional temporaries inside one.
sql::Params PatchParams(const ProductPatch& patch, std::int64_t now, const std::string& sku) {
  sql::Params params;
  params.push_back(patch.name ? sql::Value(*patch.name) : sql::Value(nullptr));
  params.push_back(patch.category ? sql::Value(*patch.category) : sql::Value(nullptr));
  params.push_back(patch.price ? 1 : 0);
  params.push_back(patch.price ? Nullable(*patch.price) : sql::Value(nullptr));
  params.push_back(patch.stock ? 1 : 0);
  params.push_back(patch.stock ? Nullable(*patch.stock) : sql::Value(nullptr));
  params.push_back(patch.active ? sql::Value(*patch.active ? 1 : 0) : sql::Value(nullptr));
  params.push_back(now);
  params.push_back(sku);
  return params;
}

sql::Params InsertParams(const Product& product) {
  sql::Params params = sql::Args(product.sku, product.name, product.category);
  params.push_back(Nullable(product.price));
  params.push_back(Nullable(product.stock));
  params.push_back(product.active ? 1 : 0);
  params.push_back(product.source);
  params.push_back(product.created_ms);
  params.push_back(product.updated_ms);
  return params;
}

}  // namespace

Task<Result<Product>> ProductStore::Create(Product product) {
  product.created_ms = product.updated_ms = clock_.WallMillis();
  sql::Params params = InsertParams(product);
  auto inserted = co_await db_.Execute(
      "INSERT INTO siprems_products (sku, name, category, price, stock, active, source, created_ms, "
      "updated_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sku) DO NOTHING",
      std::move(params));
  if (!inserted) co_return std::move(inserted).error();
  if (*inserted == 0) co_return Error{ErrorCode::kConflict, "a product with SKU " + product.sku + " exists"};
  co_return product;
}

namespace {

// Rows per INSERT: 9 parameters each.
constexpr std::size_t kProductsPerStatement = 200;

std::vector<sql::Statement> InsertManyStatements(const std::vector<Product>& products) {
  std::vector<sql::Statement> statements;
  for (std::size_t at = 0; at < products.size(); at += kProductsPerStatement) {
    const std::size_t end = std::min(products.size(), at + kProductsPerStatement);
    sql::Statement statement;
    statement.sql =
        "INSERT INTO siprems_products (sku, name, category, price, stock, active, source, created_ms, "
        "updated_ms) "
        "VALUES ";
    for (std::size_t i = at; i < end; ++i) {
      statement.sql += i == at ? "(?, ?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?, ?)";
      for (auto& value : InsertParams(products[i])) statement.params.push_back(std::move(value));
    }
    statements.push_back(std::move(statement));
  }
  return statements;
}

}  // namespace

Task<Result<void>> ProductStore::CreateMany(std::vector<Product> products) {
  const std::int64_t now = clock_.WallMillis();
  for (Product& p : products) p.created_ms = p.updated_ms = now;
  auto written = co_await db_.WriteAll(InsertManyStatements(products));
  if (!written && written.error().code == ErrorCode::kConflict)
    co_return Error{ErrorCode::kConflict, "a product with one of these SKUs exists"};
  co_return written;
}

Task<Result<ProductPage>> ProductStore::List(ProductQuery query) {
  std::string where = "1 = 1";
  sql::Params params;
  if (query.category) {
    where += " AND category = ?";
    params.push_back(*query.category);
  }
  if (query.active) {
    where += " AND active = ?";
    params.push_back(*query.active ? 1 : 0);
  }
  auto count =
      co_await db_.Query(fmt::format("SELECT COUNT(*) FROM siprems_products WHERE {}", where), params);
  if (!count) co_return std::move(count).error();
  params.push_back(query.per_page);
  params.push_back((query.page - 1) * query.per_page);
  auto rows =
      co_await db_.Query(fmt::format("SELECT {} FROM siprems_products WHERE {} ORDER BY sku LIMIT ? OFFSET ?",
                                     kProductColumns, where),
                         std::move(params));
  if (!rows) co_return std::move(rows).error();
  ProductPage page;
  page.total = count->Int(0, 0).value_or(0);
  for (std::size_t r = 0; r < rows->rows.size(); ++r) page.items.push_back(ProductFromRow(*rows, r));
  co_return page;
}

Task<Result<Product>> ProductStore::Find(std::string sku) {
  auto rows = co_await db_.Query(
      fmt::format("SELECT {} FROM siprems_products WHERE sku = ?", kProductColumns), sql::Args(sku));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return NoSuchProduct(sku);
  co_return ProductFromRow(*rows, 0);
}

Task<Result<Product>> ProductStore::Update(std::string sku, ProductPatch patch) {
  sql::Params params = PatchParams(patch, clock_.WallMillis(), sku);
  auto rows = co_await db_.Write(
      fmt::format(
          "UPDATE siprems_products SET name = COALESCE(?, name), category = COALESCE(?, category), "
          "price = CASE WHEN ? = 1 THEN ? ELSE price END, stock = CASE WHEN ? = 1 THEN ? ELSE stock END, "
          "active = COALESCE(?, active), updated_ms = ? WHERE sku = ? RETURNING {}",
          kProductColumns),
      std::move(params));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return NoSuchProduct(sku);
  co_return ProductFromRow(*rows, 0);
}

Task<Result<void>> ProductStore::Delete(std::string sku) {
  auto deleted = co_await db_.Execute("DELETE FROM siprems_products WHERE sku = ?", sql::Args(sku));
  if (!deleted) co_return std::move(deleted).error();
  if (*deleted == 0) co_return NoSuchProduct(sku);
  co_return Ok();
}

Task<Result<std::vector<std::string>>> ProductStore::Unknown(std::vector<std::string> skus) {
  std::set<std::string> wanted(skus.begin(), skus.end());
  std::vector<std::string> unknown;
  // In slices, so a statement never holds more parameters than a backend allows.
  std::vector<std::string> all(wanted.begin(), wanted.end());
  constexpr std::size_t kSlice = 500;
  for (std::size_t at = 0; at < all.size(); at += kSlice) {
    std::size_t end = std::min(all.size(), at + kSlice);
    std::string marks;
    sql::Params params;
    for (std::size_t i = at; i < end; ++i) {
      marks += i == at ? "?" : ", ?";
      params.push_back(all[i]);
    }
    auto rows = co_await db_.Query(fmt::format("SELECT sku FROM siprems_products WHERE sku IN ({})", marks),
                                   std::move(params));
    if (!rows) co_return std::move(rows).error();
    std::set<std::string> found;
    for (std::size_t r = 0; r < rows->rows.size(); ++r) found.emplace(rows->Text(r, 0).value_or(""));
    for (std::size_t i = at; i < end; ++i)
      if (!found.count(all[i])) unknown.push_back(all[i]);
  }
  co_return unknown;
}

Task<Result<std::vector<std::string>>> ProductStore::AllSkus() {
  auto rows = co_await db_.Query("SELECT sku FROM siprems_products ORDER BY sku");
  if (!rows) co_return std::move(rows).error();
  std::vector<std::string> skus;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) skus.emplace_back(rows->Text(r, 0).value_or(""));
  co_return skus;
}

}  // namespace keel::siprems
