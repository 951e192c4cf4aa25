// Unit tests of log fields: each value kind becomes the JSON a log reader expects.
#include "core/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace keel::log {
namespace {

TEST(LogFields, EachKindIsValidJson) {
  Fields fields;
  fields.Add("text", "a \"quoted\"\nline")
      .Add("int", -42)
      .Add("big", static_cast<std::uint64_t>(18446744073709551615ULL))
      .Add("ms", 0.000931)
      .Add("whole", 2.0)
      .Add("ok", true);
  auto parsed = nlohmann::json::parse("{" + fields.json().substr(1) + "}");
  EXPECT_EQ(parsed["text"], "a \"quoted\"\nline");
  EXPECT_EQ(parsed["int"], -42);
  EXPECT_EQ(parsed["big"].get<std::uint64_t>(), 18446744073709551615ULL);
  EXPECT_DOUBLE_EQ(parsed["ms"].get<double>(), 0.000931);
  EXPECT_EQ(parsed["whole"], 2);
  EXPECT_EQ(parsed["ok"], true);
  EXPECT_EQ(fields.json().find("0.000931"), fields.json().find("\"ms\":") + 5);  // six significant digits
}

TEST(LogFields, ClearKeepsNothingButRoom) {
  Fields fields;
  fields.Add("request_id", "abc");
  fields.Clear();
  EXPECT_EQ(fields.json(), "");
  fields.Add("n", 1);
  EXPECT_EQ(fields.json(), ",\"n\":1");
}

}  // namespace
}  // namespace keel::log
