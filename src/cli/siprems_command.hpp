// `keel siprems seed`, `keel siprems synth` and `keel siprems train`: the SIPREMS operator commands, run
// against the configured database on a private io_context.
#pragma once

#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

#include "app/app.hpp"
#include "apps/siprems/synthetic_catalog.hpp"

namespace keel::cli {

struct SeedRequest {
  std::string data = "data/siprems/sales.csv";
  bool if_empty = false;  // do nothing when the catalogue holds any product
};

// Loads the real catalogue (products and sales) and enqueues their training; prints a JSON summary.
// Returns the exit code. `io` must outlive `app` (the database's threads answer into it).
int SeedCatalogCommand(App& app, boost::asio::io_context& io, const SeedRequest& request);

// Adds the synthetic catalogue (apps/siprems/synthetic_catalog.hpp) for scale tests; prints a JSON summary.
int SyntheticCatalogCommand(App& app, boost::asio::io_context& io, const siprems::SyntheticOptions& options);

// Trains `skus` (every product when empty) in this process, one JSON line per product, then a summary.
// Returns 1 when a product could not be trained for an error (not for too little history).
int TrainForecastsCommand(App& app, boost::asio::io_context& io, const std::vector<std::string>& skus);

}  // namespace keel::cli
