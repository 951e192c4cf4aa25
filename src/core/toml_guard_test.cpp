#include "core/toml_guard.hpp"

#include <gtest/gtest.h>

namespace keel {
namespace {

TEST(TomlGuard, NonAsciiIsFineInStringsAndComments) {
  EXPECT_FALSE(NonAsciiOutsideStrings("[app]\n# caf\xc3\xa9\nname = \"Zo\xc3\xab\"\n").has_value());
  EXPECT_FALSE(
      NonAsciiOutsideStrings("a = '\xc5\x86'\nb = \"\"\"\n\xc5\x86 \\\"\"\" \n\"\"\"\nc = '''\xc5\x86'''\n"));
  EXPECT_FALSE(
      NonAsciiOutsideStrings("a = \"x\\\"\xc5\x86\"\n").has_value());  // an escaped quote stays inside
  EXPECT_FALSE(NonAsciiOutsideStrings("a = \"\"\"x\"\"\"\"\"\nb = 1\n").has_value());
}

TEST(TomlGuard, NonAsciiElsewhereIsFoundWithItsLine) {
  EXPECT_EQ(NonAsciiOutsideStrings("[server]\nport = 8080 \xc5\x86\n"), 2u);
  EXPECT_EQ(NonAsciiOutsideStrings("[server]\n\n\xc5\x86port = 1\n"), 3u);
  EXPECT_EQ(NonAsciiOutsideStrings("a = \"\"\"\nline\n\"\"\"\n\xc2\xa1 = 1\n"), 4u);
  // An unterminated string ends at its line; what follows is outside it.
  EXPECT_EQ(NonAsciiOutsideStrings("a = \"open\n\xc5\x86\n"), 2u);
  // A quote where no string can start opens none (found by config_fuzz).
  EXPECT_EQ(NonAsciiOutsideStrings("[server]\nhost = 1\"\xd1\x9a\"\n"), 2u);
  EXPECT_FALSE(NonAsciiOutsideStrings(
      "a = [\n  \"\xc3\xa9\",\n  '\xc3\xa9'\n]\n\"k\xc3\xa9y\" = 1\nb = { c = \"\xc3\xa9\" }\n"));
}

}  // namespace
}  // namespace keel
