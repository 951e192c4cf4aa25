// Running readiness checks.
#include "core/readiness.hpp"

namespace keel {

Task<Readiness::Report> Readiness::Evaluate() const {
  Report report;
  report.draining = Draining();
  for (const auto& entry : checks_) {
    Result<void> outcome = co_await entry.check();
    if (outcome) {
      report.checks.emplace_back(entry.name, "ok");
    } else if (entry.degradable) {
      report.checks.emplace_back(entry.name, "degraded: " + outcome.error().message);
      report.degraded = true;
    } else {
      report.checks.emplace_back(entry.name, "failed: " + outcome.error().message);
      report.ready = false;
    }
  }
  for (const auto& [name, describe] : described_) {
    NodeStates states = co_await describe();
    if (!states.empty()) report.nodes.emplace_back(name, std::move(states));
  }
  if (report.draining) report.ready = false;
  co_return report;
}

}  // namespace keel
