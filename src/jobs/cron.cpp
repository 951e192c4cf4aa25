// Cron expression parsing into per-field bit sets, and next-fire-time search over the UTC calendar.
#include "jobs/cron.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <span>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace keel::jobs {
namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;
using std::chrono::year_month_day;

// Longer than the longest gap between fire times of any schedule Parse accepts (eight years, for 29
// February).
constexpr days kSearchHorizon{366 * 9};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// The most days each month can have (index 1-12), counting 29 February.
constexpr std::array<int, 13> kMaxDaysInMonth = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kAliases = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;        // upper end of `*` and of `a/n`
  int value_max;  // largest value accepted; 7 for day-of-week, where it means Sunday again
  std::span<const std::string_view> names;
  int first_name_value;  // the value names[0] stands for
};

constexpr FieldSpec kSecondField{"second", 0, 59, 59, {}, 0};
constexpr FieldSpec kMinuteField{"minute", 0, 59, 59, {}, 0};
constexpr FieldSpec kHourField{"hour", 0, 23, 23, {}, 0};
constexpr FieldSpec kDayOfMonthField{"day-of-month", 1, 31, 31, {}, 0};
constexpr FieldSpec kMonthField{"month", 1, 12, 12, kMonthNames, 1};
constexpr FieldSpec kDayOfWeekField{"day-of-week", 0, 6, 7, kDayNames, 0};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
  });
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<std::string_view> SplitOnWhitespace(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (IsSpace(text[pos])) {
      ++pos;
      continue;
    }
    std::size_t end = pos;
    while (end < text.size() && !IsSpace(text[end])) ++end;
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

std::optional<int> ParseNumber(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A number, or one of the field's names.
std::optional<int> ParseValue(const FieldSpec& spec, std::string_view text) {
  if (auto number = ParseNumber(text)) return number;
  for (std::size_t i = 0; i < spec.names.size(); ++i) {
    if (EqualsIgnoreCase(text, spec.names[i])) return spec.first_name_value + static_cast<int>(i);
  }
  return std::nullopt;
}

Error FieldError(const FieldSpec& spec, std::string_view field, const std::string& reason) {
  return Error{ErrorCode::kInvalidArgument,
               "cron " + std::string(spec.name) + " field '" + std::string(field) + "': " + reason};
}

// One comma-list item, as the inclusive range and step it selects.
struct Selection {
  int low;
  int high;
  int step;
};

Result<Selection> ParseItem(const FieldSpec& spec, std::string_view field, std::string_view item) {
  const std::size_t slash = item.find('/');
  const std::string_view range = item.substr(0, slash);
  Selection selection{spec.min, spec.max, 1};
  if (slash != std::string_view::npos) {
    const std::string_view step_text = item.substr(slash + 1);
    const std::optional<int> step = ParseNumber(step_text);
    if (!step || *step <= 0) {
      return FieldError(spec, field, fmt::format("step '{}' must be a positive number", step_text));
    }
    selection.step = *step;
  }
  if (range == "*") return selection;

  const std::size_t dash = range.find('-');
  const std::string_view low_text = range.substr(0, dash);
  const std::string_view high_text = dash == std::string_view::npos ? "" : range.substr(dash + 1);
  const std::optional<int> low = ParseValue(spec, low_text);
  if (!low) return FieldError(spec, field, fmt::format("'{}' is not a valid value", low_text));
  std::optional<int> high = *low;
  if (dash != std::string_view::npos) {
    high = ParseValue(spec, high_text);
    if (!high) return FieldError(spec, field, fmt::format("'{}' is not a valid value", high_text));
  } else if (slash != std::string_view::npos) {
    high = std::max(spec.max, *low);
  }
  for (const int value : {*low, *high}) {
    if (value < spec.min || value > spec.value_max) {
      return FieldError(spec, field,
                        std::to_string(value) + " is out of range " + std::to_string(spec.min) + "-" +
                            std::to_string(spec.value_max));
    }
  }
  if (*low > *high) {
    return FieldError(spec, field,
                      "range " + std::to_string(*low) + "-" + std::to_string(*high) + " is reversed");
  }
  return Selection{*low, *high, selection.step};
}

// Bit n of the result is set when the field selects value n.
Result<std::uint64_t> ParseField(const FieldSpec& spec, std::string_view field) {
  std::uint64_t bits = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = field.find(',', pos);
    const std::string_view item = field.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    if (item.empty()) return FieldError(spec, field, "empty list item");
    Result<Selection> selection = ParseItem(spec, field, item);
    if (!selection.ok()) return std::move(selection).error();
    for (int value = selection->low; value <= selection->high; value += selection->step) {
      bits |= std::uint64_t{1} << value;
    }
    if (comma == std::string_view::npos) return bits;
    pos = comma + 1;
  }
}

bool HasBit(std::uint64_t bits, unsigned n) { return n < 64 && ((bits >> n) & 1) != 0; }

// The smallest n >= from with bit n set, or -1.
int NextBit(std::uint64_t bits, int from) {
  if (from >= 64) return -1;
  const std::uint64_t candidates = bits & (~std::uint64_t{0} << from);
  return candidates == 0 ? -1 : std::countr_zero(candidates);
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  std::vector<std::string_view> fields = SplitOnWhitespace(expression);
  if (fields.size() == 1 && fields[0].starts_with('@')) {
    const auto alias = std::ranges::find_if(
        kAliases, [&](const auto& entry) { return EqualsIgnoreCase(entry.first, fields[0]); });
    if (alias == kAliases.end()) {
      return Error{ErrorCode::kInvalidArgument, "unknown cron alias '" + std::string(fields[0]) + "'"};
    }
    fields = SplitOnWhitespace(alias->second);
  }
  if (fields.size() != 5 && fields.size() != 6) {
    return Error{ErrorCode::kInvalidArgument,
                 "cron expression '" + std::string(expression) + "' has " + std::to_string(fields.size()) +
                     " fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"};
  }
  if (fields.size() == 5) fields.insert(fields.begin(), "0");

  constexpr std::array<const FieldSpec*, 6> kSpecs = {&kSecondField,     &kMinuteField, &kHourField,
                                                      &kDayOfMonthField, &kMonthField,  &kDayOfWeekField};
  std::array<std::uint64_t, 6> bits{};
  for (std::size_t i = 0; i < kSpecs.size(); ++i) {
    Result<std::uint64_t> field_bits = ParseField(*kSpecs[i], fields[i]);
    if (!field_bits.ok()) return std::move(field_bits).error();
    bits[i] = *field_bits;
  }

  CronSchedule schedule;
  schedule.expression_ = std::string(expression);
  schedule.seconds_ = bits[0];
  schedule.minutes_ = bits[1];
  schedule.hours_ = static_cast<std::uint32_t>(bits[2]);
  schedule.days_of_month_ = static_cast<std::uint32_t>(bits[3]);
  schedule.months_ = static_cast<std::uint16_t>(bits[4]);
  // Day-of-week 7 is Sunday, the same day as 0.
  schedule.days_of_week_ = static_cast<std::uint8_t>((bits[5] | (bits[5] >> 7)) & 0x7f);
  schedule.day_of_month_restricted_ = fields[3] != "*";
  schedule.day_of_week_restricted_ = fields[5] != "*";
  if (!schedule.CanFire()) {
    return Error{ErrorCode::kInvalidArgument, "cron day-of-month field '" + std::string(fields[3]) +
                                                  "' never occurs in month field '" + std::string(fields[4]) +
                                                  "'"};
  }
  return schedule;
}

std::chrono::system_clock::time_point CronSchedule::Next(std::chrono::system_clock::time_point after) const {
  using TimePoint = std::chrono::system_clock::time_point;
  const sys_seconds latest = std::chrono::floor<seconds>(TimePoint::max());
  const sys_seconds start = std::chrono::floor<seconds>(after) + seconds{1};
  if (start > latest) return TimePoint::max();

  sys_days day = std::chrono::floor<days>(start);
  seconds from = start - day;
  for (const sys_days horizon = day + kSearchHorizon; day <= horizon; day += days{1}, from = seconds{0}) {
    const year_month_day date{day};
    if (!HasBit(months_, static_cast<unsigned>(date.month()))) {
      // Jump to the last day of this month; the loop step moves on to the 1st of the next.
      day = sys_days{date.year() / date.month() / std::chrono::last};
      continue;
    }
    if (!DayMatches(date, std::chrono::weekday{day})) continue;
    if (const std::optional<seconds> time = FirstTimeOfDayFrom(from)) {
      const sys_seconds fire = day + *time;
      return fire > latest ? TimePoint::max() : TimePoint{fire};
    }
  }
  return TimePoint::max();
}

bool CronSchedule::DayMatches(const year_month_day& date, std::chrono::weekday weekday) const {
  const bool day_of_month = HasBit(days_of_month_, static_cast<unsigned>(date.day()));
  const bool day_of_week = HasBit(days_of_week_, weekday.c_encoding());
  if (day_of_month_restricted_ && day_of_week_restricted_) return day_of_month || day_of_week;
  return day_of_month && day_of_week;
}

std::optional<seconds> CronSchedule::FirstTimeOfDayFrom(seconds from) const {
  const std::chrono::hh_mm_ss<seconds> start{from};
  const int start_hour = static_cast<int>(start.hours().count());
  const int start_minute = static_cast<int>(start.minutes().count());
  const int start_second = static_cast<int>(start.seconds().count());
  for (int hour = NextBit(hours_, start_hour); hour >= 0; hour = NextBit(hours_, hour + 1)) {
    const bool same_hour = hour == start_hour;
    for (int minute = NextBit(minutes_, same_hour ? start_minute : 0); minute >= 0;
         minute = NextBit(minutes_, minute + 1)) {
      const int second = NextBit(seconds_, same_hour && minute == start_minute ? start_second : 0);
      if (second >= 0) return std::chrono::hours{hour} + std::chrono::minutes{minute} + seconds{second};
    }
  }
  return std::nullopt;
}

// Only a restricted day-of-month with an unrestricted day-of-week can rule out every day: any other
// combination matches some day of every week.
bool CronSchedule::CanFire() const {
  if (!day_of_month_restricted_ || day_of_week_restricted_) return true;
  for (int month = 1; month <= 12; ++month) {
    const std::uint32_t possible_days =
        static_cast<std::uint32_t>((std::uint64_t{2} << kMaxDaysInMonth[month]) - 2);
    if (HasBit(months_, static_cast<unsigned>(month)) && (days_of_month_ & possible_days) != 0) return true;
  }
  return false;
}

}  // namespace keel::jobs
