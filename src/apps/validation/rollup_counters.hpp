// This instance's counts of ingested events per app, minute (of arrival) and event name, and of violations
// per app, minute, event, path and rule, since the last flush. The ingest path adds to them; the flusher
// drains them once a second into the rollup tables, where every instance's counts add up
// (rollup_flusher.hpp).
//
// The number of distinct keys between two flushes is bounded (kMaxKeys per table): past it, events count
// under the event name "(other)" and violations under the path "(other)", so a client inventing names cannot
// grow the rollups without limit.
//
// Thread safety: safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "apps/validation/json_schema.hpp"

namespace keel::validation {

inline constexpr std::size_t kMaxRollupKeys = 10'000;
inline constexpr std::string_view kOtherName = "(other)";

struct EventCount {
  std::int64_t events = 0;
  std::int64_t invalid = 0;
  std::int64_t blocked = 0;
};

// (app id, minute in Unix ms, event name)
using RollupKey = std::tuple<std::string, std::int64_t, std::string>;
// (app id, minute in Unix ms, event name, path, rule)
using ViolationKey = std::tuple<std::string, std::int64_t, std::string, std::string, std::string>;

struct Rollups {
  std::map<RollupKey, EventCount> events;
  std::map<ViolationKey, std::int64_t> violations;

  bool empty() const { return events.empty() && violations.empty(); }
  // Adds `other`'s counts to these (keys beyond the bound included: merging never drops a count).
  void Merge(const Rollups& other);
};

// One checked event as the counters see it.
struct CountedEvent {
  std::string_view event;
  bool invalid = false;
  bool blocked = false;
  const std::vector<Violation>* violations = nullptr;
};

class RollupCounters {
 public:
  void Add(const std::string& app_id, std::int64_t minute_ms, std::span<const CountedEvent> events);
  // Everything counted since the last Drain, and counting starts again from nothing.
  Rollups Drain();
  // Puts drained counts back (their flush failed), added to what was counted since.
  void Restore(const Rollups& rollups);

 private:
  std::mutex mutex_;
  Rollups pending_;  // GUARDED_BY(mutex_)
};

// The start of the minute `unix_ms` falls in.
inline std::int64_t MinuteOf(std::int64_t unix_ms) {
  return unix_ms - ((unix_ms % 60'000) + 60'000) % 60'000;
}

}  // namespace keel::validation
