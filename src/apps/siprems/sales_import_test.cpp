// The CSV reader fed whole and a byte at a time, and the import's line reports.
#include "apps/siprems/sales_import.hpp"

#include "apps/siprems/period.hpp"

#include <gtest/gtest.h>

namespace keel::siprems {
namespace {

std::vector<std::pair<std::int64_t, std::vector<std::string>>> Records(
    std::string_view csv, std::size_t piece, std::optional<std::string>* error = nullptr) {
  std::vector<std::pair<std::int64_t, std::vector<std::string>>> records;
  CsvReader reader(
      [&](std::vector<std::string>& fields, std::int64_t line) { records.emplace_back(line, fields); }, 64);
  for (std::size_t at = 0; at < csv.size(); at += piece) reader.Feed(csv.substr(at, piece));
  reader.Finish();
  if (error) *error = reader.error();
  return records;
}

TEST(CsvReaderTest, ReadsQuotesLineBreaksAndCrlfAlikeInAnyPieces) {
  const std::string csv = "sku,name\r\n\"A,1\",\"say \"\"hi\"\"\"\n\nB,\"two\nlines\"\r\nC,\"\"\nD,last";
  auto whole = Records(csv, csv.size());
  ASSERT_EQ(whole.size(), 5u);
  EXPECT_EQ(whole[1].second, (std::vector<std::string>{"A,1", "say \"hi\""}));
  EXPECT_EQ(whole[1].first, 2);
  EXPECT_EQ(whole[2].second, (std::vector<std::string>{"B", "two\nlines"}));
  EXPECT_EQ(whole[2].first, 4);  // the blank line 3 is skipped
  EXPECT_EQ(whole[3].first, 6);
  EXPECT_EQ(whole[3].second, (std::vector<std::string>{"C", ""}));
  EXPECT_EQ(whole[4].second, (std::vector<std::string>{"D", "last"}));
  for (std::size_t piece : {1u, 2u, 3u, 7u}) EXPECT_EQ(Records(csv, piece), whole) << piece;
}

TEST(CsvReaderTest, BrokenCsvIsAnErrorNamingItsLine) {
  for (const char* bad : {"a,b\nc,\"open", "a,b\nc\"d,e\n", "a,b\n\"c\"d,e\n", "a,b\rc\n"}) {
    std::optional<std::string> error;
    Records(bad, 1, &error);
    ASSERT_TRUE(error) << bad;
    EXPECT_NE(error->find("line "), std::string::npos) << *error;
  }
  std::optional<std::string> error;
  Records("a," + std::string(100, 'x') + "\n", 5, &error);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("longer than 64 bytes"), std::string::npos);
}

SalesImport Import(std::string_view csv, std::int64_t max_rows = 1000) {
  SalesImport import(max_rows);
  for (char c : csv) import.Feed(std::string_view(&c, 1));
  import.Finish();
  return import;
}

TEST(SalesImportTest, ReadsColumnsInAnyOrderWithAnOptionalPrice) {
  auto import = Import(
      "\xef\xbb\xbf"
      "Date,QUANTITY,sku,unit_price\n2026-01-05,3,BRD-001,2.5\n2026-01-06,4.5,MLK-2,\n");
  ASSERT_TRUE(import.ok()) << (import.fatal() ? *import.fatal() : import.errors()[0].reason);
  ASSERT_EQ(import.sales().size(), 2u);
  EXPECT_EQ(import.sales()[0].sku, "BRD-001");
  EXPECT_EQ(import.sales()[0].day, *ParseDay("2026-01-05"));
  EXPECT_EQ(import.sales()[0].unit_price, 2.5);
  EXPECT_EQ(import.sales()[1].quantity, 4.5);
  EXPECT_FALSE(import.sales()[1].unit_price);
}

TEST(SalesImportTest, EveryBadLineIsReportedWithItsNumberAndNothingIsKept) {
  auto import = Import(
      "sku,date,quantity\n"
      "BRD-001,2026-01-05,3\n"
      "BRD 001,2026-01-05,3\n"
      "BRD-001,2026-02-30,3\n"
      "BRD-001,2026-01-05,-1\n"
      "BRD-001,2026-01-05,0x10\n"
      "BRD-001,2026-01-05\n"
      "BRD-001,2026-01-07,nan\n"
      "BRD-001,2026-01-08,1\n");
  EXPECT_FALSE(import.ok());
  EXPECT_TRUE(import.sales().empty());
  ASSERT_EQ(import.error_count(), 6);
  std::vector<std::int64_t> lines;
  for (const auto& e : import.errors()) lines.push_back(e.line);
  EXPECT_EQ(lines, (std::vector<std::int64_t>{3, 4, 5, 6, 7, 8}));
  EXPECT_NE(import.errors()[0].reason.find("not a valid SKU"), std::string::npos);
  EXPECT_NE(import.errors()[1].reason.find("2026-02-30"), std::string::npos);
  EXPECT_NE(import.errors()[2].reason.find("quantity"), std::string::npos);
  EXPECT_NE(import.errors()[4].reason.find("2 fields where the header names 3"), std::string::npos);
}

TEST(SalesImportTest, UnknownSkusAreBadLinesToo) {
  auto import = Import("sku,date,quantity\nA,2026-01-01,1\nB,2026-01-01,1\nA,2026-01-02,1\n");
  ASSERT_TRUE(import.ok());
  import.RejectSkus({"A"});
  EXPECT_FALSE(import.ok());
  ASSERT_EQ(import.errors().size(), 2u);
  EXPECT_EQ(import.errors()[0].line, 2);
  EXPECT_EQ(import.errors()[1].line, 4);
  EXPECT_EQ(import.errors()[1].reason, "no product with SKU A");
}

TEST(SalesImportTest, TheFileAsAWholeMustBeASalesCsv) {
  EXPECT_NE(Import("").fatal()->find("empty"), std::string::npos);
  EXPECT_NE(Import("sku,date,quantity\n").fatal()->find("no sales"), std::string::npos);
  EXPECT_NE(Import("sku,date\nA,2026-01-01\n").fatal()->find("must name the columns"), std::string::npos);
  EXPECT_NE(Import("sku,date,quantity,colour\n").fatal()->find("colour"), std::string::npos);
  EXPECT_NE(Import("sku,date,quantity,sku\n").fatal()->find("twice"), std::string::npos);
  EXPECT_NE(Import("sku,date,quantity\nA,2026-01-01,1\nA,2026-01-02,1\nA,2026-01-03,1\n", 2)
                .fatal()
                ->find("more than 2"),
            std::string::npos);
  EXPECT_NE(Import("sku,date,quantity\nA,\"2026-01-01,1\n").fatal()->find("not closed"), std::string::npos);
}

}  // namespace
}  // namespace keel::siprems
