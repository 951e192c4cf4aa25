// Tests of placeholder numbering and the text encoding of parameters and cells.
#include "storage/sql/postgres/pg_statement.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace keel::sql::pg {
namespace {

TEST(NumberPlaceholders, NumbersEachQuestionMarkInOrder) {
  auto numbered = NumberPlaceholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?) LIMIT ?");
  EXPECT_EQ(numbered.text, "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) LIMIT $4");
  EXPECT_EQ(numbered.placeholders, 4);
}

TEST(NumberPlaceholders, LeavesQuotedTextAndCommentsAlone) {
  auto numbered = NumberPlaceholders(
      "SELECT '?', 'it''s ?', \"odd?name\", COALESCE(x, '?') -- why?\n/* a ? here */ FROM t WHERE y = ?");
  EXPECT_EQ(
      numbered.text,
      "SELECT '?', 'it''s ?', \"odd?name\", COALESCE(x, '?') -- why?\n/* a ? here */ FROM t WHERE y = $1");
  EXPECT_EQ(numbered.placeholders, 1);
}

TEST(NumberPlaceholders, KeepsJsonPathLiterals) {
  auto numbered = NumberPlaceholders("SELECT json_insert(errors, '$[#]', ?)");
  EXPECT_EQ(numbered.text, "SELECT json_insert(errors, '$[#]', $1)");
}

TEST(EncodeParams, TypesIntegersAndRealsAndLeavesTextUntyped) {
  auto encoded = EncodeParams(Args(std::int64_t{-42}, 0.1, "text", nullptr));
  ASSERT_EQ(encoded.types.size(), 4U);
  EXPECT_EQ(encoded.types[0], kInt8Oid);
  EXPECT_STREQ(encoded.values[0], "-42");
  EXPECT_EQ(encoded.types[1], kFloat8Oid);
  EXPECT_STREQ(encoded.values[1], "0.1");  // shortest form that reads back as the same double
  EXPECT_EQ(encoded.types[2], 0U);
  EXPECT_STREQ(encoded.values[2], "text");
  EXPECT_EQ(encoded.lengths[2], 4);
  EXPECT_EQ(encoded.types[3], 0U);
  EXPECT_EQ(encoded.values[3], nullptr);
}

TEST(EncodeParams, SpellsNonFiniteRealsAsPostgresDoes) {
  auto encoded = EncodeParams(Args(std::nan(""), HUGE_VAL, -HUGE_VAL));
  EXPECT_STREQ(encoded.values[0], "NaN");
  EXPECT_STREQ(encoded.values[1], "Infinity");
  EXPECT_STREQ(encoded.values[2], "-Infinity");
}

TEST(DecodeCell, ReadsCellsByColumnType) {
  EXPECT_EQ(DecodeCell(kInt8Oid, "9007199254740993"), Value(std::int64_t{9007199254740993}));
  EXPECT_EQ(DecodeCell(kInt4Oid, "-7"), Value(std::int64_t{-7}));
  EXPECT_EQ(DecodeCell(kBoolOid, "t"), Value(std::int64_t{1}));
  EXPECT_EQ(DecodeCell(kBoolOid, "f"), Value(std::int64_t{0}));
  EXPECT_EQ(DecodeCell(kFloat8Oid, "2.5"), Value(2.5));
  EXPECT_EQ(DecodeCell(kNumericOid, "12"), Value(std::int64_t{12}));  // SUM of integers
  EXPECT_EQ(DecodeCell(kNumericOid, "12.25"), Value(12.25));          // AVG
  EXPECT_EQ(DecodeCell(25, "12"), Value(std::string("12")));          // text stays text
  EXPECT_TRUE(std::isnan(std::get<double>(DecodeCell(kFloat8Oid, "NaN"))));
}

TEST(WithoutPassword, HidesTheUrlsPasswordWhereverItIsQuoted) {
  EXPECT_EQ(WithoutPassword(R"(invalid percent-encoded token: "50%off")", "postgres://keel:50%off@db/keel"),
            R"(invalid percent-encoded token: "***")");
  EXPECT_EQ(WithoutPassword("connection refused", "postgres://keel:secret@db/keel"), "connection refused");
  EXPECT_EQ(WithoutPassword("no password here", "postgres://keel@db/keel"), "no password here");
}

}  // namespace
}  // namespace keel::sql::pg
