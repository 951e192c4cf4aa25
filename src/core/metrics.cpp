// Metrics registry plus the process collector (read from /proc at scrape time).
#include "core/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "core/version.hpp"

namespace keel {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family{std::move(name), std::move(help), type, {}};
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the directory handle itself
}

}  // namespace

class Metrics::ProcessCollector {
 public:
  ProcessCollector()
      : start_time_(
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()) {}

  std::vector<prometheus::MetricFamily> Collect() const {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    families.push_back(Family("keel_process_resident_memory_bytes", "Resident memory size in bytes.",
                              MetricType::Gauge, ResidentBytes()));
    families.push_back(Family("keel_process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                              MetricType::Counter, CpuSeconds()));
    families.push_back(
        Family("keel_process_open_fds", "Number of open file descriptors.", MetricType::Gauge, OpenFds()));
    families.push_back(Family("keel_process_start_time_seconds",
                              "Start time of the process since the Unix epoch.", MetricType::Gauge,
                              start_time_));
    auto build = Family("keel_build_info", "Version and commit of this binary.", MetricType::Gauge, 1);
    build.metric[0].label = {{"version", kVersion}, {"commit", kGitCommit}};
    families.push_back(std::move(build));
    return families;
  }

 private:
  double start_time_;
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()), process_(std::make_unique<ProcessCollector>()) {}

Metrics::~Metrics() = default;

std::vector<prometheus::MetricFamily> Metrics::Collect() const {
  auto families = registry_->Collect();
  auto process = process_->Collect();
  families.insert(families.end(), std::make_move_iterator(process.begin()),
                  std::make_move_iterator(process.end()));
  return families;
}

std::string Metrics::Serialize() const {
  auto families = Collect();
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace keel
