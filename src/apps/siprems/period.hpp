// Calendar periods of sales series: a date is a day (YYYY-MM-DD, proleptic Gregorian, no time zone), and a
// series is aggregated by day, by week (ISO weeks, starting on Monday) or by calendar month. A period is
// named by its first day.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::siprems {

enum class Interval { kDay, kWeek, kMonth };

std::string_view IntervalName(Interval interval);
std::optional<Interval> ParseInterval(std::string_view name);

// Periods in a year: the season of a series with this interval (7 for days: the week).
int SeasonOf(Interval interval);

// Days since 1970-01-01 of a strict YYYY-MM-DD date between 1900-01-01 and 2999-12-31; nullopt otherwise.
std::optional<std::int64_t> ParseDay(std::string_view text);
std::string FormatDay(std::int64_t day);

// The first day of the period holding `day`.
std::int64_t PeriodStart(std::int64_t day, Interval interval);
// The first day of the period `count` periods after the one starting on `start` (count may be negative).
// REQUIRES: start == PeriodStart(start, interval).
std::int64_t AddPeriods(std::int64_t start, Interval interval, std::int64_t count);
// Whole periods from the one starting on `from` to the one starting on `to` (negative when `to` is earlier).
std::int64_t PeriodsBetween(std::int64_t from, std::int64_t to, Interval interval);

}  // namespace keel::siprems
