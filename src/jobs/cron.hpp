// Cron schedules: parse a cron expression and compute when it next fires, in UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel::jobs {

// A parsed cron expression, evaluated in UTC (no time zones, no daylight saving).
//
// Syntax: five fields "minute hour day-of-month month day-of-week", or six with a leading seconds field
// ("seconds minute hour day-of-month month day-of-week"); five-field schedules fire at second 0. Each field
// is a comma list of `*`, `n`, `a-b`, `*/n`, `a-b/n` and `a/n` (a through the field's maximum). Months accept
// JAN-DEC and days of week SUN-SAT, case-insensitive; day-of-week 0 and 7 are both Sunday. The aliases
// @yearly
// (@annually), @monthly, @weekly, @daily (@midnight) and @hourly stand for their usual five-field forms.
//
// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted (neither is exactly
// `*`), a day matches if EITHER field matches; otherwise it must match both.
//
// Parse rejects expressions that can never fire (such as "0 0 31 2 *"), so Next always finds a fire time
// within eight years, the longest gap a valid schedule can have (29 February across a non-leap century year
// like 2100).
//
// Thread safety: immutable after Parse; safe to share and to call from many threads without synchronization.
class CronSchedule {
 public:
  // Errors: kInvalidArgument with a message naming the offending field and its text.
  static Result<CronSchedule> Parse(std::string_view expression);

  // The first fire time strictly after `after`, at whole-second resolution. Returns time_point::max() only
  // when that time is too far in the future for system_clock::time_point to represent (beyond the year 2262).
  std::chrono::system_clock::time_point Next(std::chrono::system_clock::time_point after) const;

  // The text given to Parse, unchanged.
  std::string_view expression() const { return expression_; }

 private:
  CronSchedule() = default;

  bool DayMatches(const std::chrono::year_month_day& date, std::chrono::weekday weekday) const;
  std::optional<std::chrono::seconds> FirstTimeOfDayFrom(std::chrono::seconds from) const;
  bool CanFire() const;

  std::string expression_;
  std::uint64_t seconds_ = 0;        // bit n set: fires at second n (0-59)
  std::uint64_t minutes_ = 0;        // bit n: minute n (0-59)
  std::uint32_t hours_ = 0;          // bit n: hour n (0-23)
  std::uint32_t days_of_month_ = 0;  // bit n: day n (1-31)
  std::uint16_t months_ = 0;         // bit n: month n (1-12)
  std::uint8_t days_of_week_ = 0;    // bit n: weekday n (0 = Sunday ... 6 = Saturday)
  bool day_of_month_restricted_ = false;
  bool day_of_week_restricted_ = false;
};

}  // namespace keel::jobs
