// VersionMetrics: the three families and their series per model version and role.
#include "ml/version_metrics.hpp"

namespace keel::ml {

void VersionSeries::Observe(std::chrono::steady_clock::duration latency_taken,
                            std::span<const double> values) const {
  requests->Increment();
  latency->Observe(std::chrono::duration<double>(latency_taken).count());
  for (double value : values) predictions->Observe(value);
}

VersionMetrics::VersionMetrics(Metrics& metrics)
    : requests_(prometheus::BuildCounter()
                    .Name("keel_model_version_requests_total")
                    .Help("Prediction requests answered by each version of a model with a traffic plan, by "
                          "model, version and role (served: returned to the client; shadow: logged only).")
                    .Register(metrics.registry())),
      latency_(prometheus::BuildHistogram()
                   .Name("keel_model_version_latency_seconds")
                   .Help("Time to answer a request, by model, version and role (served: from the request's "
                         "arrival; shadow: the version's own prediction time).")
                   .Register(metrics.registry())),
      predictions_(
          prometheus::BuildSummary()
              .Name("keel_model_version_prediction")
              .Help("The predictions each version gave, over the last minute (quantiles 0.5 and 0.95; "
                    "_sum and _count give the mean), by model, version and role.")
              .Register(metrics.registry())) {}

VersionSeries VersionMetrics::Series(const std::string& model, const std::string& version,
                                     const std::string& role) {
  const std::map<std::string, std::string> labels = {{"model", model}, {"version", version}, {"role", role}};
  // Family::Add hands back the existing series for labels it already has.
  VersionSeries series;
  series.requests = &requests_.Add(labels);
  series.latency =
      &latency_.Add(labels, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1});
  series.predictions = &predictions_.Add(labels, prometheus::Summary::Quantiles{{0.5, 0.05}, {0.95, 0.01}},
                                         std::chrono::seconds(60));
  return series;
}

}  // namespace keel::ml
