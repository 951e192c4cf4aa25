// Training one product's model: its sales series from the database, the family chosen and fitted, and the
// accept gate. The new version serves only when its backtest MASE is no worse than the served version's by
// more than siprems.accept_margin_pct; otherwise it is recorded as refused (with both figures) and the served
// version keeps serving. Every version is recorded either way.
//
// Blocking: it fits on the calling thread (a job worker's, or the CLI's) and runs its SQL through `run`.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/siprems/model_store.hpp"
#include "apps/siprems/sales_store.hpp"
#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel {
class Clock;
}

namespace keel::siprems {

// Runs a coroutine to completion and returns when it is done (JobContext's, or a private io_context's).
using RunAndWait = std::function<void(std::function<Task<void>()>)>;

template <class T>
T Blocking(const RunAndWait& run, Task<T> task) {
  std::optional<T> out;
  run([&]() -> Task<void> { out.emplace(co_await std::move(task)); });
  return std::move(*out);
}

struct TrainOutcome {
  std::string sku;
  std::string status;  // served, refused, skipped (too little history)
  std::string version;
  std::string family;
  std::optional<double> mase;
  std::optional<double> served_mase;  // the version it was compared with, if any
  std::string reason;
};

nlohmann::json OutcomeJson(const TrainOutcome& outcome);

class Trainer {
 public:
  // `on_served` hears of each newly served version (to tell every instance).
  Trainer(SalesStore& sales, ModelStore& models, const Clock& clock, const SipremsOptions& options,
          std::function<void(const std::string& sku)> on_served)
      : sales_(sales), models_(models), clock_(clock), options_(options), on_served_(std::move(on_served)) {}

  // Errors are the database's; a product with too little history is an outcome (skipped), not an error.
  Result<TrainOutcome> Train(const std::string& sku, const RunAndWait& run);

 private:
  SalesStore& sales_;
  ModelStore& models_;
  const Clock& clock_;
  const SipremsOptions& options_;
  std::function<void(const std::string& sku)> on_served_;
};

}  // namespace keel::siprems
