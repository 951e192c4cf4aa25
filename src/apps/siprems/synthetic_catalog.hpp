// A synthetic catalogue for scale tests and benchmarks, clearly labelled as such: SKUs SYN-000001..., names
// that say "synthetic", source "synthetic", category synthetic/<kind>. Never part of the real catalogue
// (data/siprems/sales.csv). Monthly series of four kinds, in turn: seasonal with a trend, trending, flat, and
// intermittent demand (most months nothing, then a burst), each with noise, reproducible from the seed.
#pragma once

#include <cstdint>

#include "apps/siprems/seed_catalog.hpp"

namespace keel::siprems {

struct SyntheticOptions {
  int products = 1000;
  int months = 60;  // the last one is November 2026
  std::uint64_t seed = 1;
};

SeedCatalog MakeSyntheticCatalog(const SyntheticOptions& options);

}  // namespace keel::siprems
