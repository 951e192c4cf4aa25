// The analyst's reading of questions, and the remote engine's reading of a chat-completions event stream.
#include "apps/siprems/chat_analyst.hpp"

#include <gtest/gtest.h>

#include "apps/siprems/chat_remote.hpp"

namespace keel::siprems {
namespace {

using Intent = Question::Intent;

CatalogueIndex Catalogue() {
  return CatalogueIndex::Build(
      {{"AIRPAX-INTL", "International airline passengers (thousands)", "travel/air"},
       {"TUNA-1", "Canned tuna, Star Kist 6 oz (units, Dominick's chain)", "grocery/canned-tuna"},
       {"TUNA-5", "Canned tuna, Geisha 6 oz (units, Dominick's chain)", "grocery/canned-tuna"},
       {"WINE-AU", "Australian wine sales by wine makers", "beverages/wine"},
       {"DRINKS-US-WHSL", "US beer, wine & liquor merchant wholesaler sales", "beverages/alcohol"}});
}

TEST(ChatAnalystTest, ReadsWhatIsAskedAndAboutWhich) {
  auto q = ReadQuestion("Forecast airline passengers for the next 4 months", Catalogue());
  EXPECT_EQ(q.intent, Intent::kForecast);
  EXPECT_EQ(q.sku, "AIRPAX-INTL");
  EXPECT_EQ(q.horizon, 4);

  q = ReadQuestion("how many units of tuna-1 did we sell in 1990?", Catalogue());
  EXPECT_EQ(q.intent, Intent::kSales);
  EXPECT_EQ(q.sku, "TUNA-1");
  EXPECT_EQ(q.year, 1990);

  q = ReadQuestion("What will Geisha sell next year?", Catalogue());
  EXPECT_EQ(q.intent, Intent::kForecast);
  EXPECT_EQ(q.sku, "TUNA-5");
  EXPECT_EQ(q.horizon, 12);

  q = ReadQuestion("Is Australian wine growing?", Catalogue());
  EXPECT_EQ(q.intent, Intent::kTrend);
  EXPECT_EQ(q.sku, "WINE-AU");  // "wine" alone is two products; "australian" decides

  q = ReadQuestion("top 3 products last year", Catalogue());
  EXPECT_EQ(q.intent, Intent::kTop);
  EXPECT_EQ(q.top_n, 3);
  EXPECT_TRUE(q.last_year);

  q = ReadQuestion("sales of canned tuna in the last 6 months", Catalogue());
  EXPECT_EQ(q.intent, Intent::kSales);
  EXPECT_FALSE(q.sku);
  EXPECT_EQ(q.category, "grocery/canned-tuna");
  EXPECT_EQ(q.months, 6);
  EXPECT_EQ(q.candidates, (std::vector<std::string>{"TUNA-1", "TUNA-5"}));

  EXPECT_EQ(ReadQuestion("which products will run out of stock?", Catalogue()).intent, Intent::kStockRisk);
  EXPECT_EQ(ReadQuestion("hello", Catalogue()).intent, Intent::kHelp);
  EXPECT_EQ(ReadQuestion("", Catalogue()).intent, Intent::kHelp);
  EXPECT_EQ(ReadQuestion("what is the weather in Paris", Catalogue()).intent, Intent::kUnknown);
  EXPECT_EQ(ReadQuestion("WINE-AU", Catalogue()).intent, Intent::kOverview);
}

TEST(CompletionStreamTest, PutsContentAndToolCallsTogetherFromTheirPieces) {
  std::string said;
  CompletionStream stream([&said](std::string_view piece) { said += piece; });
  const std::string events =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      ": a comment\n"
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"type\":"
      "\"function\","
      "\"function\":{\"name\":\"fore\",\"arguments\":\"{\\\"sku\\\":\"}}]}}]}\r\n\r\n"
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"cast\","
      "\"arguments\":\"\\\"A-1\\\"}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: [DONE]\n\n";
  for (char c : events) stream.Feed(std::string_view(&c, 1));  // whatever the pieces
  auto answer = stream.Finish();
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(said, "Hello");
  const auto& choice = (*answer)["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"]["content"], "Hello");
  const auto& call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["id"], "c1");
  EXPECT_EQ(call["function"]["name"], "forecast");
  EXPECT_EQ(call["function"]["arguments"], "{\"sku\":\"A-1\"}");
}

TEST(CompletionStreamTest, AStreamThatBreaksOffOrIsNotCompletionsIsAnError) {
  CompletionStream cut(nullptr);
  cut.Feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n");
  EXPECT_FALSE(cut.Finish().ok());
  CompletionStream wrong(nullptr);
  wrong.Feed("data: {\"error\":{\"message\":\"overloaded\"}}\n\ndata: [DONE]\n\n");
  auto answer = wrong.Finish();
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.error().message.find("not a completion chunk"), std::string::npos);
}

}  // namespace
}  // namespace keel::siprems
