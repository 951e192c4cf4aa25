// Cron expressions: a schedule that parses must fire, strictly after the time asked about.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "jobs/cron.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 256) return 0;
  auto schedule =
      keel::jobs::CronSchedule::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!schedule) return 0;
  using std::chrono::system_clock;
  for (auto after :
       {system_clock::time_point{}, system_clock::time_point{std::chrono::seconds(1'800'000'000)},
        system_clock::time_point{std::chrono::seconds(4'102'444'799)}}) {
    auto next = schedule->Next(after);
    if (next <= after) __builtin_trap();
  }
  return 0;
}
