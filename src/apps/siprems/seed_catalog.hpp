// The real catalogue a newcomer starts with: data/siprems/sales.csv (sku, name, category, period, quantity;
// real series from Debian packages, data/siprems/SOURCES.md), read into products marked "catalogue" and their
// sales, one sale per period dated the period's first day.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "apps/siprems/product.hpp"
#include "apps/siprems/sale.hpp"
#include "core/result.hpp"

namespace keel::siprems {

struct SeedCatalog {
  std::vector<Product> products;
  std::vector<Sale> sales;
};

// Reads the file; kInvalidArgument naming the line for anything that is not the catalogue's format.
Result<SeedCatalog> ReadSeedCatalog(const std::string& path);

}  // namespace keel::siprems
