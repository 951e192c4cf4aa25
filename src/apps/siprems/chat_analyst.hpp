// The built-in analyst: the chat engine that needs no service (the default, so `make run` chats with no key).
// It reads the common questions about products, sales, trends, forecasts and stock in plain English, asks
// the same tools the remote engine would (chat_tools.hpp) and answers with their figures, each recorded as a
// fact. What it does not understand gets a reply listing what it can answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/siprems/chat_tools.hpp"
#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::siprems {

struct ChatReply {
  std::string text;
  std::vector<ChatFact> facts;
  std::string engine = "analyst";
  bool degraded = false;  // the remote engine failed and the analyst answered instead
};

// What a question asks, read from its words.
struct Question {
  enum class Intent { kHelp, kForecast, kSales, kTrend, kTop, kStockRisk, kOverview, kUnknown };
  Intent intent = Intent::kUnknown;
  std::optional<std::string> sku;       // the product it names
  std::optional<std::string> category;  // or the category
  std::vector<std::string> candidates;  // products it might mean, when it names several equally
  int horizon = 3;                      // periods ahead, for forecasts
  std::optional<int> year;              // "in 2016"
  std::optional<int> months;            // "last 6 months"
  bool last_year = false, this_year = false;
  int top_n = 5;
};

Question ReadQuestion(std::string_view message, const CatalogueIndex& catalogue);

class ChatAnalyst {
 public:
  explicit ChatAnalyst(ChatTools& tools) : tools_(tools) {}

  Task<Result<ChatReply>> Reply(std::string message);

 private:
  ChatTools& tools_;
};

}  // namespace keel::siprems
