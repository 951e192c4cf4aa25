#include "apps/siprems/seed_catalog.hpp"

#include <charconv>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "apps/siprems/csv_reader.hpp"
#include "apps/siprems/period.hpp"

namespace keel::siprems {

Result<SeedCatalog> ReadSeedCatalog(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::kInvalidArgument, "cannot read " + path};
  SeedCatalog catalog;
  std::map<std::string, std::size_t> product_of;
  std::optional<std::string> error;
  bool header = true;
  CsvReader reader([&](std::vector<std::string>& f, std::int64_t line) {
    if (error) return;
    auto fail = [&](const std::string& why) { error = fmt::format("{}:{}: {}", path, line, why); };
    if (header) {
      header = false;
      if (f != std::vector<std::string>{"sku", "name", "category", "period", "quantity"})
        fail("the header must be sku,name,category,period,quantity");
      return;
    }
    if (f.size() != 5) return fail("5 fields expected");
    if (!ValidSku(f[0])) return fail("not a valid SKU: " + f[0]);
    auto day = ParseDay(f[3]);
    double quantity = 0;
    auto [end, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), quantity);
    if (!day) return fail("not a date: " + f[3]);
    if (ec != std::errc() || end != f[4].data() + f[4].size() || CheckQuantity(quantity))
      return fail("not a quantity: " + f[4]);
    if (!product_of.count(f[0])) {
      product_of[f[0]] = catalog.products.size();
      Product product;
      product.sku = f[0];
      product.name = f[1];
      product.category = f[2];
      product.source = "catalogue";
      catalog.products.push_back(std::move(product));
    }
    Sale sale;
    sale.sku = f[0];
    sale.day = *day;
    sale.quantity = quantity;
    catalog.sales.push_back(std::move(sale));
  });
  char buffer[64 * 1024];
  while (in && !error) {
    in.read(buffer, sizeof buffer);
    if (!reader.Feed(std::string_view(buffer, static_cast<std::size_t>(in.gcount())))) break;
  }
  reader.Finish();
  if (reader.error()) return Error{ErrorCode::kInvalidArgument, path + ": " + *reader.error()};
  if (error) return Error{ErrorCode::kInvalidArgument, *error};
  if (catalog.products.empty()) return Error{ErrorCode::kInvalidArgument, path + " holds no sales"};
  return catalog;
}

}  // namespace keel::siprems
