#include "apps/siprems/synthetic_catalog.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "apps/siprems/period.hpp"

namespace keel::siprems {

SeedCatalog MakeSyntheticCatalog(const SyntheticOptions& options) {
  static constexpr const char* kKinds[] = {"seasonal", "trending", "flat", "intermittent"};
  SeedCatalog catalog;
  std::mt19937_64 random(options.seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> noise(0, 1);
  const std::int64_t last = *ParseDay("2026-11-01");
  const std::int64_t first = AddPeriods(last, Interval::kMonth, -(options.months - 1));
  for (int p = 1; p <= options.products; ++p) {
    const char* kind = kKinds[(p - 1) % 4];
    Product product;
    product.sku = fmt::format("SYN-{:06}", p);
    product.name = fmt::format("Synthetic {} product {} (generated, not real sales)", kind, p);
    product.category = fmt::format("synthetic/{}", kind);
    product.source = "synthetic";
    product.price = std::round((1 + 49 * uniform(random)) * 100) / 100;
    const double level = 20 + 980 * uniform(random);
    product.stock = static_cast<std::int64_t>(level * (0.5 + uniform(random)));
    const double slope = level * (uniform(random) - 0.3) * 0.02;  // per month, mostly growing
    const double amplitude = 0.1 + 0.4 * uniform(random);
    const double phase = 2 * std::numbers::pi * uniform(random);
    const double spread = 0.05 + 0.1 * uniform(random);
    for (int m = 0; m < options.months; ++m) {
      double value = 0;
      const double season = std::sin(2 * std::numbers::pi * m / 12.0 + phase);
      switch ((p - 1) % 4) {
        case 0:
          value = (level + slope * m) * (1 + amplitude * season);
          break;
        case 1:
          value = level + 2 * slope * m;
          break;
        case 2:
          value = level;
          break;
        default:
          value = uniform(random) < 0.25 ? level * (0.5 + uniform(random)) : 0;  // most months: none
      }
      if (value > 0) value *= 1 + spread * noise(random);
      Sale sale;
      sale.sku = product.sku;
      sale.day = AddPeriods(first, Interval::kMonth, m);
      sale.quantity = std::max(0.0, std::round(value));
      sale.unit_price = product.price;
      catalog.sales.push_back(std::move(sale));
    }
    catalog.products.push_back(std::move(product));
  }
  return catalog;
}

}  // namespace keel::siprems
