// RollupCounters: counting under one lock per batch, the key bound, merging.
#include "apps/validation/rollup_counters.hpp"

namespace keel::validation {

void Rollups::Merge(const Rollups& other) {
  for (const auto& [key, count] : other.events) {
    EventCount& into = events[key];
    into.events += count.events;
    into.invalid += count.invalid;
    into.blocked += count.blocked;
  }
  for (const auto& [key, count] : other.violations) violations[key] += count;
}

void RollupCounters::Add(const std::string& app_id, std::int64_t minute_ms,
                         std::span<const CountedEvent> events) {
  std::lock_guard lock(mutex_);
  for (const CountedEvent& event : events) {
    RollupKey key{app_id, minute_ms, std::string(event.event)};
    auto slot = pending_.events.find(key);
    if (slot == pending_.events.end()) {
      if (pending_.events.size() >= kMaxRollupKeys) std::get<2>(key) = kOtherName;
      slot = pending_.events.try_emplace(std::move(key)).first;
    }
    slot->second.events += 1;
    slot->second.invalid += event.invalid ? 1 : 0;
    slot->second.blocked += event.blocked ? 1 : 0;
    if (!event.violations) continue;
    for (const Violation& violation : *event.violations) {
      ViolationKey violation_key{app_id, minute_ms, std::get<2>(slot->first), violation.path, violation.rule};
      auto counted = pending_.violations.find(violation_key);
      if (counted == pending_.violations.end()) {
        if (pending_.violations.size() >= kMaxRollupKeys) std::get<3>(violation_key) = kOtherName;
        counted = pending_.violations.try_emplace(std::move(violation_key), 0).first;
      }
      counted->second += 1;
    }
  }
}

Rollups RollupCounters::Drain() {
  std::lock_guard lock(mutex_);
  return std::exchange(pending_, Rollups{});
}

void RollupCounters::Restore(const Rollups& rollups) {
  std::lock_guard lock(mutex_);
  pending_.Merge(rollups);
}

}  // namespace keel::validation
