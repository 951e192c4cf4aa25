#include "http/metrics_summary.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <string>

namespace keel::http {
namespace {

std::string Label(const prometheus::ClientMetric& metric, const std::string& name) {
  for (const auto& label : metric.label)
    if (label.name == name) return label.value;
  return "";
}

double Value(const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric) {
  switch (family.type) {
    case prometheus::MetricType::Counter:
      return metric.counter.value;
    case prometheus::MetricType::Gauge:
      return metric.gauge.value;
    case prometheus::MetricType::Untyped:
      return metric.untyped.value;
    default:
      return 0;
  }
}

double Round(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

}  // namespace

double HistogramQuantile(const std::vector<std::pair<double, double>>& buckets, double q) {
  if (buckets.empty() || buckets.back().second <= 0) return 0;
  const double rank = q * buckets.back().second;
  double lower_bound = 0, lower_count = 0;
  for (const auto& [upper, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(upper)) return lower_bound;  // beyond the last finite bucket: its bound is all we know
      const double in_bucket = count - lower_count;
      return in_bucket <= 0 ? upper : lower_bound + (upper - lower_bound) * (rank - lower_count) / in_bucket;
    }
    lower_bound = upper;
    lower_count = count;
  }
  return lower_bound;
}

nlohmann::json MetricsSummary::Summarize(const std::vector<prometheus::MetricFamily>& families) {
  double requests = 0, errors = 0, start_time = 0;
  std::map<double, double> latency;  // upper bound -> cumulative count, over every route
  std::map<std::string, std::pair<double, double>> caches;  // name -> hits, misses
  std::map<std::string, double> database;  // the SQL pool: connections by state, limits, waiters
  nlohmann::json pools = nlohmann::json::object();
  nlohmann::json queues = nlohmann::json::object();
  for (const auto& family : families) {
    const std::string& name = family.name;
    for (const auto& metric : family.metric) {
      if (name == "keel_http_requests_total") {
        requests += metric.counter.value;
        if (Label(metric, "status").starts_with("5")) errors += metric.counter.value;
      } else if (name == "keel_http_request_duration_seconds") {
        for (const auto& bucket : metric.histogram.bucket)
          latency[bucket.upper_bound] += static_cast<double>(bucket.cumulative_count);
      } else if (name.starts_with("keel_") && name.ends_with("_cache_hits_total")) {
        caches[name.substr(5, name.size() - 5 - 17)].first += metric.counter.value;
      } else if (name.starts_with("keel_") && name.ends_with("_cache_misses_total")) {
        caches[name.substr(5, name.size() - 5 - 19)].second += metric.counter.value;
      } else if (name == "keel_db_pool_connections" || name == "keel_db_pool_max_connections" ||
                 name == "keel_db_pool_waiters") {
        std::string key = name.substr(13);  // after "keel_db_pool_"
        const std::string state = Label(metric, "state");
        if (!state.empty()) key.append("_").append(state);
        database[key] += Value(family, metric);
      } else if (name == "keel_pool_busy_threads" || name == "keel_pool_queue_depth") {
        std::string pool = Label(metric, "pool").empty() ? "blocking" : Label(metric, "pool");
        pools[pool][name.substr(10)] = Value(family, metric);
      } else if (name == "keel_jobs_queue_depth") {
        std::string queue = Label(metric, "queue"), state = Label(metric, "state");
        queues[queue][state.empty() ? "jobs" : state] = Value(family, metric);
      } else if (name == "process_start_time_seconds" || name == "keel_process_start_time_seconds") {
        start_time = Value(family, metric);
      }
    }
  }
  if (!database.empty()) pools["database"] = database;
  std::vector<std::pair<double, double>> buckets(latency.begin(), latency.end());
  const auto now = std::chrono::steady_clock::now();
  double seconds = 0, window_requests = requests, window_errors = errors;
  {
    std::lock_guard lock(mutex_);
    if (last_at_ != std::chrono::steady_clock::time_point{}) {
      seconds = std::chrono::duration<double>(now - last_at_).count();
      window_requests = requests - last_requests_;
      window_errors = errors - last_errors_;
    } else if (start_time > 0) {
      seconds = static_cast<double>(std::time(nullptr)) - start_time;
    }
    last_at_ = now;
    last_requests_ = requests;
    last_errors_ = errors;
  }
  nlohmann::json cache_json = nlohmann::json::object();
  double all_hits = 0, all_lookups = 0;
  for (const auto& [cache, counts] : caches) {
    const double lookups = counts.first + counts.second;
    all_hits += counts.first;
    all_lookups += lookups;
    cache_json[cache] = {{"hits", counts.first},
                         {"misses", counts.second},
                         {"hit_ratio", lookups > 0 ? Round(counts.first / lookups, 4) : 0.0}};
  }
  return nlohmann::json{
      {"requests",
       {{"total", requests},
        {"errors_5xx", errors},
        {"window_seconds", Round(seconds, 3)},
        {"rate_per_second", seconds > 0 ? Round(window_requests / seconds, 2) : 0.0},
        {"error_rate", window_requests > 0 ? Round(window_errors / window_requests, 4) : 0.0}}},
      {"latency_seconds",
       {{"p50", Round(HistogramQuantile(buckets, 0.50), 6)},
        {"p95", Round(HistogramQuantile(buckets, 0.95), 6)},
        {"p99", Round(HistogramQuantile(buckets, 0.99), 6)}}},
      {"caches", std::move(cache_json)},
      {"cache_hit_ratio", all_lookups > 0 ? Round(all_hits / all_lookups, 4) : 0.0},
      {"pools", std::move(pools)},
      {"queues", std::move(queues)}};
}

}  // namespace keel::http
