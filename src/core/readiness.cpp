// Running readiness checks.
#include "core/readiness.hpp"

namespace keel {

Task<Readiness::Report> Readiness::Evaluate() const {
  Report report;
  report.draining = Draining();
  for (const auto& [name, check] : checks_) {
    Result<void> outcome = co_await check();
    report.checks.emplace_back(name, outcome ? "ok" : "failed: " + outcome.error().message);
    if (!outcome) report.ready = false;
  }
  if (report.draining) report.ready = false;
  co_return report;
}

}  // namespace keel
