// Unit tests of RFC 3339 parsing and formatting.
#include "core/rfc3339.hpp"

#include <gtest/gtest.h>

namespace keel {
namespace {

TEST(Rfc3339, ParsesUtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2026-11-25T17:00:00.5Z"), 1795626000500);
  EXPECT_EQ(ParseRfc3339("2026-11-25T18:00:00+01:00"), ParseRfc3339("2026-11-25T17:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-11-25T12:30:00-04:30"), ParseRfc3339("2026-11-25T17:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2024-02-29t00:00:00.123456z"), ParseRfc3339("2024-02-29T00:00:00.123Z"));
}

TEST(Rfc3339, RejectsInvalidDates) {
  for (const char* bad :
       {"", "2026-11-25", "2026-11-25 17:00:00Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-31T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25T17:00:00", "2026-11-25T17:00:00.Z",
        "2026-11-25T17:00:00+0100", "2026-11-25T17:00:00Zjunk", "tomorrow"})
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2026-11-25T18:00:00.25+01:00")), "2026-11-25T17:00:00.250Z");
}

}  // namespace
}  // namespace keel
