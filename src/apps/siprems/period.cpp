// Civil-date arithmetic after Howard Hinnant's days_from_civil / civil_from_days
// (https://howardhinnant.github.io/date_algorithms.html), exact for every proleptic Gregorian date.
#include "apps/siprems/period.hpp"

#include <fmt/format.h>

namespace keel::siprems {
namespace {

struct Civil {
  std::int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

std::int64_t DaysFromCivil(Civil date) {
  const std::int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (date.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool LeapYear(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(std::int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && LeapYear(year) ? 29 : kDays[month - 1];
}

std::optional<int> Digits(std::string_view text) {
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::string_view IntervalName(Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return "day";
    case Interval::kWeek:
      return "week";
    case Interval::kMonth:
      return "month";
  }
  return "month";
}

std::optional<Interval> ParseInterval(std::string_view name) {
  if (name == "day") return Interval::kDay;
  if (name == "week") return Interval::kWeek;
  if (name == "month") return Interval::kMonth;
  return std::nullopt;
}

int SeasonOf(Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return 7;
    case Interval::kWeek:
      return 52;
    case Interval::kMonth:
      return 12;
  }
  return 12;
}

std::optional<std::int64_t> ParseDay(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto year = Digits(text.substr(0, 4));
  auto month = Digits(text.substr(5, 2));
  auto day = Digits(text.substr(8, 2));
  if (!year || !month || !day || *year < 1900 || *year > 2999 || *month < 1 || *month > 12 || *day < 1 ||
      *day > DaysInMonth(*year, *month))
    return std::nullopt;
  return DaysFromCivil(Civil{*year, *month, *day});
}

std::string FormatDay(std::int64_t day) {
  Civil date = CivilFromDays(day);
  return fmt::format("{:04}-{:02}-{:02}", date.year, date.month, date.day);
}

std::int64_t PeriodStart(std::int64_t day, Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return day;
    case Interval::kWeek: {
      // 1970-01-01 was a Thursday: (day + 3) mod 7 counts days since Monday.
      std::int64_t since_monday = ((day + 3) % 7 + 7) % 7;
      return day - since_monday;
    }
    case Interval::kMonth: {
      Civil date = CivilFromDays(day);
      return DaysFromCivil(Civil{date.year, date.month, 1});
    }
  }
  return day;
}

std::int64_t AddPeriods(std::int64_t start, Interval interval, std::int64_t count) {
  switch (interval) {
    case Interval::kDay:
      return start + count;
    case Interval::kWeek:
      return start + 7 * count;
    case Interval::kMonth: {
      Civil date = CivilFromDays(start);
      std::int64_t months = date.year * 12 + (date.month - 1) + count;
      std::int64_t year = months >= 0 ? months / 12 : (months - 11) / 12;
      return DaysFromCivil(Civil{year, static_cast<int>(months - year * 12) + 1, 1});
    }
  }
  return start;
}

std::int64_t PeriodsBetween(std::int64_t from, std::int64_t to, Interval interval) {
  switch (interval) {
    case Interval::kDay:
      return to - from;
    case Interval::kWeek:
      return (to - from) / 7;
    case Interval::kMonth: {
      Civil a = CivilFromDays(from), b = CivilFromDays(to);
      return (b.year * 12 + b.month) - (a.year * 12 + a.month);
    }
  }
  return 0;
}

}  // namespace keel::siprems
