#include "apps/siprems/period.hpp"

#include <gtest/gtest.h>

namespace keel::siprems {
namespace {

TEST(PeriodTest, DaysParseStrictlyAndRoundTrip) {
  EXPECT_EQ(ParseDay("1970-01-01"), 0);
  EXPECT_EQ(ParseDay("2000-03-01"), 11017);
  EXPECT_EQ(ParseDay("1969-12-31"), -1);
  EXPECT_TRUE(ParseDay("2024-02-29"));
  for (const char* bad : {"2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-1-01",
                          "2024-01-01T00", "1899-12-31", "3000-01-01", "2024/01/01", "", "abcd-ef-gh"})
    EXPECT_FALSE(ParseDay(bad)) << bad;
  for (std::int64_t day = -25000; day < 300000; day += 37) EXPECT_EQ(ParseDay(FormatDay(day)), day);
}

TEST(PeriodTest, WeeksStartOnMondayAndMonthsOnTheFirst) {
  // 2026-12-03 is a Thursday; so was 1970-01-01. 1969-12-29 was a Monday.
  EXPECT_EQ(FormatDay(PeriodStart(*ParseDay("2026-12-03"), Interval::kWeek)), "2026-11-30");
  EXPECT_EQ(FormatDay(PeriodStart(*ParseDay("2026-11-30"), Interval::kWeek)), "2026-11-30");
  EXPECT_EQ(FormatDay(PeriodStart(*ParseDay("2026-12-06"), Interval::kWeek)), "2026-11-30");
  EXPECT_EQ(FormatDay(PeriodStart(0, Interval::kWeek)), "1969-12-29");
  EXPECT_EQ(FormatDay(PeriodStart(*ParseDay("1950-06-15"), Interval::kWeek)), "1950-06-12");
  EXPECT_EQ(FormatDay(PeriodStart(*ParseDay("2024-02-29"), Interval::kMonth)), "2024-02-01");
  EXPECT_EQ(PeriodStart(12345, Interval::kDay), 12345);
}

TEST(PeriodTest, PeriodsAddAndCountAcrossYears) {
  const std::int64_t nov = *ParseDay("2026-11-01");
  EXPECT_EQ(FormatDay(AddPeriods(nov, Interval::kMonth, 2)), "2027-01-01");
  EXPECT_EQ(FormatDay(AddPeriods(nov, Interval::kMonth, -11)), "2025-12-01");
  EXPECT_EQ(FormatDay(AddPeriods(nov, Interval::kMonth, -23)), "2024-12-01");
  EXPECT_EQ(PeriodsBetween(*ParseDay("1992-01-01"), *ParseDay("2017-09-01"), Interval::kMonth), 308);
  EXPECT_EQ(PeriodsBetween(nov, AddPeriods(nov, Interval::kMonth, -23), Interval::kMonth), -23);
  const std::int64_t monday = *ParseDay("2026-11-30");
  EXPECT_EQ(FormatDay(AddPeriods(monday, Interval::kWeek, 1)), "2026-12-07");
  EXPECT_EQ(PeriodsBetween(monday, AddPeriods(monday, Interval::kWeek, 52), Interval::kWeek), 52);
  EXPECT_EQ(SeasonOf(Interval::kMonth), 12);
  EXPECT_EQ(SeasonOf(Interval::kWeek), 52);
}

}  // namespace
}  // namespace keel::siprems
