// Unit tests of JSON string escaping.
#include "core/json_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace keel {
namespace {

std::string Quoted(std::string_view s) {
  std::string out = "prefix:";
  AppendJsonString(out, s);
  return out;
}

TEST(JsonText, CopiesPlainTextInRunsAndEscapesWhatJsonRequires) {
  EXPECT_EQ(Quoted(""), R"(prefix:"")");
  EXPECT_EQ(Quoted("/api/v1/tasks?page=2"), R"(prefix:"/api/v1/tasks?page=2")");
  EXPECT_EQ(Quoted(R"(a"b\c)"), R"(prefix:"a\"b\\c")");
  EXPECT_EQ(Quoted("\n\r\t"), R"(prefix:"\n\r\t")");
  EXPECT_EQ(Quoted(std::string_view("x\0y\x1f", 4)), R"(prefix:"x\u0000y\u001f")");
  EXPECT_EQ(Quoted("\"start and end\""), R"(prefix:"\"start and end\"")");
  EXPECT_EQ(Quoted("caf\xc3\xa9 \xe2\x82\xac"),
            "prefix:\"caf\xc3\xa9 \xe2\x82\xac\"");  // UTF-8 passes through
}

TEST(JsonText, EveryByteRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all += static_cast<char>(c);
  all += "tail";
  std::string out;
  AppendJsonString(out, all);
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), all);
}

}  // namespace
}  // namespace keel
