// Unit tests of cron expression parsing and next-fire-time computation.
#include "jobs/cron.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace keel::jobs {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year;

system_clock::time_point At(int y, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  return sys_days{year{y} / month / day} + hours{hour} + minutes{minute} + seconds{second};
}

// "2026-03-10T12:00:00Z", so failures print readable times.
std::string Format(system_clock::time_point time) {
  const auto whole_seconds = std::chrono::floor<seconds>(time);
  const sys_days day = std::chrono::floor<days>(whole_seconds);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss<seconds> clock{whole_seconds - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}

std::string NextAfter(std::string_view expression, system_clock::time_point after) {
  Result<CronSchedule> schedule = CronSchedule::Parse(expression);
  if (!schedule.ok()) return "rejected: " + schedule.error().message;
  return Format(schedule->Next(after));
}

testing::AssertionResult Rejected(std::string_view expression, std::string_view message_fragment) {
  Result<CronSchedule> schedule = CronSchedule::Parse(expression);
  if (schedule.ok()) return testing::AssertionFailure() << "'" << expression << "' was accepted";
  const Error& error = schedule.error();
  if (error.code != ErrorCode::kInvalidArgument) {
    return testing::AssertionFailure() << "'" << expression << "' gave " << ErrorCodeName(error.code);
  }
  if (error.message.find(message_fragment) == std::string::npos) {
    return testing::AssertionFailure()
           << "message \"" << error.message << "\" lacks \"" << message_fragment << "\"";
  }
  return testing::AssertionSuccess();
}

TEST(CronSchedule, EveryMinuteFiresAtTheStartOfTheNextMinute) {
  EXPECT_EQ(NextAfter("* * * * *", At(2026, 3, 10, 12, 7, 30)), "2026-03-10T12:08:00Z");
  EXPECT_EQ(NextAfter("* * * * *", At(2026, 3, 10, 12, 7, 59) + milliseconds{500}), "2026-03-10T12:08:00Z");
}

TEST(CronSchedule, EveryFiveMinutesFiresOnTheNextMultiple) {
  EXPECT_EQ(NextAfter("*/5 * * * *", At(2026, 3, 10, 12, 7)), "2026-03-10T12:10:00Z");
  EXPECT_EQ(NextAfter("*/15 * * * *", At(2026, 3, 10, 12, 46)), "2026-03-10T13:00:00Z");
  EXPECT_EQ(NextAfter("*/15 * * * *", At(2026, 3, 10, 23, 50)), "2026-03-11T00:00:00Z");
}

TEST(CronSchedule, RangesListsAndStepsSelectOnlyTheirValues) {
  EXPECT_EQ(NextAfter("10,20,45 * * * *", At(2026, 3, 10, 12, 21)), "2026-03-10T12:45:00Z");
  EXPECT_EQ(NextAfter("0 9-17/4 * * *", At(2026, 3, 10, 14)), "2026-03-10T17:00:00Z");
  EXPECT_EQ(NextAfter("0 9-17/4 * * *", At(2026, 3, 10, 17)), "2026-03-11T09:00:00Z");
  EXPECT_EQ(NextAfter("5/20 * * * *", At(2026, 3, 10, 12, 46)), "2026-03-10T13:05:00Z");
  EXPECT_EQ(NextAfter("0 8-9,18 * * *", At(2026, 3, 10, 9, 30)), "2026-03-10T18:00:00Z");
  // Friday 13 March 2026, after the 08:30 run: the next weekday is Monday.
  EXPECT_EQ(NextAfter("30 8 * * 1-5", At(2026, 3, 13, 9)), "2026-03-16T08:30:00Z");
}

TEST(CronSchedule, MonthAndDayNamesAreCaseInsensitive) {
  EXPECT_EQ(NextAfter("0 0 1 MAR-may *", At(2026, 3, 10)), "2026-04-01T00:00:00Z");
  EXPECT_EQ(NextAfter("0 12 * jan,Jul mon", At(2026, 3, 10)), "2026-07-06T12:00:00Z");
  EXPECT_EQ(NextAfter("30 8 * * Mon-FRI", At(2026, 3, 13, 9)), "2026-03-16T08:30:00Z");
}

TEST(CronSchedule, SixFieldFormHasLeadingSeconds) {
  EXPECT_EQ(NextAfter("*/10 * * * * *", At(2026, 3, 10, 12, 0, 5)), "2026-03-10T12:00:10Z");
  EXPECT_EQ(NextAfter("*/10 * * * * *", At(2026, 3, 10, 12, 0, 50)), "2026-03-10T12:01:00Z");
  EXPECT_EQ(NextAfter("30 0 12 * * *", At(2026, 3, 10, 12, 0, 30)), "2026-03-11T12:00:30Z");
}

TEST(CronSchedule, AliasesExpandToTheirFiveFieldForms) {
  const auto tuesday_noon = At(2026, 3, 10, 12);
  EXPECT_EQ(NextAfter("@hourly", tuesday_noon), "2026-03-10T13:00:00Z");
  EXPECT_EQ(NextAfter("@daily", tuesday_noon), "2026-03-11T00:00:00Z");
  EXPECT_EQ(NextAfter("@midnight", tuesday_noon), "2026-03-11T00:00:00Z");
  EXPECT_EQ(NextAfter("@weekly", tuesday_noon), "2026-03-15T00:00:00Z");
  EXPECT_EQ(NextAfter("@monthly", tuesday_noon), "2026-04-01T00:00:00Z");
  EXPECT_EQ(NextAfter("@yearly", tuesday_noon), "2027-01-01T00:00:00Z");
  EXPECT_EQ(NextAfter("@annually", tuesday_noon), "2027-01-01T00:00:00Z");
  EXPECT_EQ(NextAfter(" @DAILY ", tuesday_noon), "2026-03-11T00:00:00Z");
}

TEST(CronSchedule, RestrictedDayOfMonthAndDayOfWeekMatchEither) {
  // The 1st of the month or any Monday.
  EXPECT_EQ(NextAfter("0 0 1 * 1", At(2026, 3, 10)), "2026-03-16T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 1 * MON", At(2026, 4, 28)), "2026-05-01T00:00:00Z");
}

TEST(CronSchedule, UnrestrictedDayFieldLeavesTheOtherToDecide) {
  EXPECT_EQ(NextAfter("0 0 * * 1", At(2026, 3, 10)), "2026-03-16T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 15 * *", At(2026, 3, 10)), "2026-03-15T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 13 * *", At(2026, 3, 10)), "2026-03-13T00:00:00Z");
}

TEST(CronSchedule, SundayIsBothZeroAndSeven) {
  const auto tuesday = At(2026, 3, 10);
  EXPECT_EQ(NextAfter("0 0 * * 0", tuesday), "2026-03-15T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 * * 7", tuesday), "2026-03-15T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 * * sun", tuesday), "2026-03-15T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 * * 6-7", At(2026, 3, 14)), "2026-03-15T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 * * 6-7", At(2026, 3, 15)), "2026-03-21T00:00:00Z");
}

TEST(CronSchedule, MonthRolloverSkipsMonthsWithoutTheDay) {
  EXPECT_EQ(NextAfter("0 0 1 * *", At(2026, 4, 30, 12)), "2026-05-01T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 31 * *", At(2026, 3, 31)), "2026-05-31T00:00:00Z");
}

TEST(CronSchedule, YearRolloverMovesToJanuary) {
  EXPECT_EQ(NextAfter("* * * * *", At(2026, 12, 31, 23, 59, 30)), "2027-01-01T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 1 1 *", At(2026, 3, 10)), "2027-01-01T00:00:00Z");
  EXPECT_EQ(NextAfter("59 23 31 12 *", At(2026, 12, 31, 23, 59)), "2027-12-31T23:59:00Z");
}

TEST(CronSchedule, LeapDayFiresOnlyInLeapYears) {
  EXPECT_EQ(NextAfter("0 0 29 2 *", At(2026, 3, 10)), "2028-02-29T00:00:00Z");
  EXPECT_EQ(NextAfter("0 0 29 2 *", At(2028, 2, 29)), "2032-02-29T00:00:00Z");
  // 2100 is not a leap year, so this is the longest gap a schedule can have.
  EXPECT_EQ(NextAfter("0 0 29 2 *", At(2096, 2, 29)), "2104-02-29T00:00:00Z");
}

TEST(CronSchedule, NextIsStrictlyAfterTheGivenTime) {
  EXPECT_EQ(NextAfter("0 * * * *", At(2026, 3, 10, 12)), "2026-03-10T13:00:00Z");
  EXPECT_EQ(NextAfter("0 * * * *", At(2026, 3, 10, 12) - milliseconds{1}), "2026-03-10T12:00:00Z");
  EXPECT_EQ(NextAfter("*/10 * * * * *", At(2026, 3, 10, 12, 0, 10)), "2026-03-10T12:00:20Z");
}

TEST(CronSchedule, ExpressionReturnsTheOriginalText) {
  for (std::string_view text : {"*/5 * * * *", "@daily", "0  0 1 JAN *"}) {
    Result<CronSchedule> schedule = CronSchedule::Parse(text);
    ASSERT_TRUE(schedule.ok()) << text;
    EXPECT_EQ(schedule->expression(), text);
  }
}

TEST(CronSchedule, RejectsWrongFieldCount) {
  EXPECT_TRUE(Rejected("", "has 0 fields"));
  EXPECT_TRUE(Rejected("* * * *", "has 4 fields"));
  EXPECT_TRUE(Rejected("* * * * * * *", "has 7 fields"));
  EXPECT_TRUE(Rejected("@daily extra", "has 2 fields"));
}

TEST(CronSchedule, RejectsOutOfRangeValuesNamingTheField) {
  EXPECT_TRUE(Rejected("60 * * * * *", "cron second field '60': 60 is out of range 0-59"));
  EXPECT_TRUE(Rejected("60 * * * *", "cron minute field '60': 60 is out of range 0-59"));
  EXPECT_TRUE(Rejected("* 24 * * *", "cron hour field '24'"));
  EXPECT_TRUE(Rejected("* * 0 * *", "cron day-of-month field '0'"));
  EXPECT_TRUE(Rejected("* * 32 * *", "cron day-of-month field '32'"));
  EXPECT_TRUE(Rejected("* * * 13 *", "cron month field '13'"));
  EXPECT_TRUE(Rejected("* * * * 8", "cron day-of-week field '8'"));
  EXPECT_TRUE(Rejected("1,99 * * * *", "cron minute field '1,99': 99 is out of range"));
}

TEST(CronSchedule, RejectsStepsThatAreNotPositive) {
  EXPECT_TRUE(Rejected("*/0 * * * *", "cron minute field '*/0': step '0' must be a positive number"));
  EXPECT_TRUE(Rejected("* */-2 * * *", "cron hour field '*/-2'"));
  EXPECT_TRUE(Rejected("* * */ * *", "cron day-of-month field '*/'"));
}

TEST(CronSchedule, RejectsGarbageNamingTheField) {
  EXPECT_TRUE(Rejected("every minute please", "has 3 fields"));
  EXPECT_TRUE(Rejected("a b c d e", "cron minute field 'a'"));
  EXPECT_TRUE(Rejected("1,,2 * * * *", "cron minute field '1,,2': empty list item"));
  EXPECT_TRUE(Rejected("* 1-2-3 * * *", "cron hour field '1-2-3'"));
  EXPECT_TRUE(Rejected("* * * FOO *", "cron month field 'FOO'"));
  EXPECT_TRUE(Rejected("* * * * funday", "cron day-of-week field 'funday'"));
  EXPECT_TRUE(Rejected("* * * MON *", "cron month field 'MON'"));
  EXPECT_TRUE(Rejected("@sometimes", "unknown cron alias '@sometimes'"));
}

TEST(CronSchedule, RejectsReversedRange) {
  EXPECT_TRUE(Rejected("5-1 * * * *", "cron minute field '5-1': range 5-1 is reversed"));
  EXPECT_TRUE(Rejected("* * * * FRI-MON", "cron day-of-week field 'FRI-MON'"));
}

TEST(CronSchedule, RejectsDatesThatNeverOccur) {
  EXPECT_TRUE(Rejected("0 0 31 2 *", "cron day-of-month field '31' never occurs in month field '2'"));
  EXPECT_TRUE(Rejected("0 0 30,31 FEB *", "day-of-month field '30,31'"));
  EXPECT_TRUE(Rejected("0 0 31 4,6,9,11 *", "day-of-month field '31'"));
  // A restricted day-of-week still matches some day of every month.
  EXPECT_EQ(NextAfter("0 0 31 2 MON", At(2026, 3, 10)), "2027-02-01T00:00:00Z");
}

}  // namespace
}  // namespace keel::jobs
