// Running the SIPREMS module's stores and trainer from the command line.
#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "cli/siprems_command.hpp"

#include <chrono>
#include <iostream>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <nlohmann/json.hpp>

#include "apps/siprems/product_store.hpp"
#include "apps/siprems/sales_store.hpp"
#include "apps/siprems/seed_catalog.hpp"
#include "apps/siprems/siprems_module.hpp"
#include "apps/siprems/synthetic_catalog.hpp"
#include "apps/siprems/trainer.hpp"
#include "apps/siprems/training_jobs.hpp"

namespace keel::cli {
namespace {

// Runs `body` on `io` until it and everything it started are done.
void RunOn(boost::asio::io_context& io, std::function<Task<void>()> body) {
  boost::asio::co_spawn(io, std::move(body), boost::asio::detached);
  io.restart();
  io.run();
}

siprems::SipremsModule* Siprems(App& app) {
  auto* module = dynamic_cast<siprems::SipremsModule*>(app.FindModule("siprems"));
  if (module == nullptr) std::cerr << "keel: this build has no siprems module\n";
  return module;
}

}  // namespace

int SeedCatalogCommand(App& app, boost::asio::io_context& io, const SeedRequest& request) {
  auto* siprems = Siprems(app);
  if (siprems == nullptr) return 1;
  std::optional<Result<std::vector<std::string>>> existing;
  RunOn(io, [&]() -> Task<void> { existing = co_await siprems->products().AllSkus(); });
  if (!existing || !*existing) {
    std::cerr << "keel: " << (existing ? existing->error().message : "the catalogue could not be read")
              << "\n";
    return 1;
  }
  if (request.if_empty && !(*existing)->empty()) {
    std::cout << nlohmann::json{{"seeded", false}, {"products", (*existing)->size()}}.dump() << "\n";
    return 0;
  }
  auto catalog = siprems::ReadSeedCatalog(request.data);
  if (!catalog) {
    std::cerr << "keel: " << catalog.error().message << "\n";
    return 1;
  }
  std::vector<std::string> skus;
  for (const auto& product : catalog->products) skus.push_back(product.sku);
  const std::size_t sales = catalog->sales.size();
  std::optional<Error> failed;
  std::int64_t job_id = 0;
  RunOn(io, [&]() -> Task<void> {
    auto created = co_await siprems->products().CreateMany(std::move(catalog->products));
    if (!created) {
      failed = created.error();
      co_return;
    }
    auto written = co_await siprems->sales().Insert(std::move(catalog->sales), std::nullopt);
    if (!written) {
      failed = written.error();
      co_return;
    }
    auto enqueued = co_await siprems::EnqueueTraining(siprems->jobs(), skus, "");
    if (!enqueued) {
      failed = enqueued.error();
      co_return;
    }
    job_id = enqueued->id;
  });
  if (failed) {
    std::cerr << "keel: " << failed->message << "\n";
    return 1;
  }
  std::cout << nlohmann::json{{"seeded", true},
                              {"products", skus.size()},
                              {"sales", sales},
                              {"data", request.data},
                              {"training_job_id", job_id}}
                   .dump()
            << "\n";
  return 0;
}

int SyntheticCatalogCommand(App& app, boost::asio::io_context& io, const siprems::SyntheticOptions& options) {
  auto* siprems = Siprems(app);
  if (siprems == nullptr) return 1;
  const auto started = std::chrono::steady_clock::now();
  auto catalog = siprems::MakeSyntheticCatalog(options);
  const std::size_t products = catalog.products.size(), sales = catalog.sales.size();
  std::optional<Error> failed;
  RunOn(io, [&]() -> Task<void> {
    auto created = co_await siprems->products().CreateMany(std::move(catalog.products));
    if (!created) {
      failed = created.error();
      co_return;
    }
    auto written = co_await siprems->sales().Insert(std::move(catalog.sales), std::nullopt);
    if (!written) failed = written.error();
  });
  if (failed) {
    std::cerr << "keel: " << failed->message << "\n";
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << nlohmann::json{{"synthetic", true},
                              {"products", products},
                              {"sales", sales},
                              {"seconds", seconds}}
                   .dump()
            << "\n";
  return 0;
}

int TrainForecastsCommand(App& app, boost::asio::io_context& io, const std::vector<std::string>& skus) {
  auto* siprems = Siprems(app);
  if (siprems == nullptr) return 1;
  std::vector<std::string> todo = skus;
  if (!todo.empty()) {
    std::optional<Result<std::vector<std::string>>> unknown;
    RunOn(io, [&]() -> Task<void> { unknown = co_await siprems->products().Unknown(skus); });
    if (!unknown || !*unknown || !(*unknown)->empty()) {
      std::cerr << "keel: "
                << (!unknown    ? "the catalogue could not be read"
                    : !*unknown ? unknown->error().message
                                : "no product with SKU " + (*unknown)->front())
                << "\n";
      return 1;
    }
  } else {
    std::optional<Result<std::vector<std::string>>> all;
    RunOn(io, [&]() -> Task<void> { all = co_await siprems->products().AllSkus(); });
    if (!all || !*all) {
      std::cerr << "keel: " << (all ? all->error().message : "the catalogue could not be read") << "\n";
      return 1;
    }
    todo = std::move(**all);
  }
  siprems::RunAndWait run = [&io](std::function<Task<void>()> body) { RunOn(io, std::move(body)); };
  int failures = 0;
  std::map<std::string, int> counts;
  const auto started = std::chrono::steady_clock::now();
  for (const std::string& sku : todo) {
    auto outcome = siprems->trainer().Train(sku, run);
    if (!outcome) {
      ++failures;
      std::cout
          << nlohmann::json{{"sku", sku}, {"status", "failed"}, {"reason", outcome.error().message}}.dump()
          << "\n";
      continue;
    }
    ++counts[outcome->status];
    std::cout << siprems::OutcomeJson(*outcome).dump() << "\n";
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << nlohmann::json{{"products", todo.size()},      {"served", counts["served"]},
                              {"refused", counts["refused"]}, {"skipped", counts["skipped"]},
                              {"failed", failures},           {"seconds", seconds}}
                   .dump()
            << "\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace keel::cli
