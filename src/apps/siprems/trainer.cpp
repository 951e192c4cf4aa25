#include "apps/siprems/trainer.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"

namespace keel::siprems {

nlohmann::json OutcomeJson(const TrainOutcome& o) {
  nlohmann::json json = {{"sku", o.sku}, {"status", o.status}};
  if (!o.version.empty()) json["version"] = o.version;
  if (!o.family.empty()) json["family"] = o.family;
  if (o.mase) json["mase"] = *o.mase;
  if (o.served_mase) json["served_mase"] = *o.served_mase;
  if (!o.reason.empty()) json["reason"] = o.reason;
  return json;
}

Result<TrainOutcome> Trainer::Train(const std::string& sku, const RunAndWait& run) {
  TrainOutcome outcome;
  outcome.sku = sku;
  auto series = Blocking(run, sales_.SeriesOf(sku, options_.interval));
  if (!series) return std::move(series).error();
  auto candidate = Fit(*series, FitOptions{.backtest_origins = options_.backtest_origins,
                                           .holdout_periods = options_.holdout_periods});
  if (!candidate) {
    if (candidate.error().code != ErrorCode::kValidation) return std::move(candidate).error();
    outcome.status = "skipped";
    outcome.reason = candidate.error().message;
    return outcome;
  }
  auto served = Blocking(run, models_.Served(sku));
  if (!served) return std::move(served).error();

  const std::int64_t trained_ms = clock_.WallMillis();
  outcome.version = VersionName(sku, trained_ms);
  outcome.family = std::string(ml::timeseries::FamilyName(candidate->model.family));
  outcome.mase = candidate->mase;
  std::optional<std::string> replaces;
  bool serve = true;
  if (*served) {
    replaces = (*served)->version.version;
    outcome.served_mase = (*served)->version.mase;
    const double limit = *outcome.served_mase * (1.0 + options_.accept_margin);
    if (candidate->mase > limit) {
      serve = false;
      outcome.reason =
          fmt::format("backtest MASE {:.4f} is worse than the served version {}'s {:.4f} by more than {:g}%",
                      candidate->mase, *replaces, *outcome.served_mase, options_.accept_margin * 100);
    }
  }
  outcome.status = serve ? "served" : "refused";
  auto recorded = Blocking(
      run, models_.Record(sku, outcome.version, *candidate, trained_ms, serve,
                          serve ? std::nullopt : std::optional<std::string>(outcome.reason), replaces));
  if (!recorded) return std::move(recorded).error();
  if (serve && on_served_) on_served_(sku);
  return outcome;
}

}  // namespace keel::siprems
