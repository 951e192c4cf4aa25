// The siprems.* keys: the forecasting interval and horizon, how models are judged and when they are trained,
// the forecast cache, and the CSV import's limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "apps/siprems/period.hpp"
#include "core/config.hpp"

namespace keel::siprems {

// The siprems.* and chat.* keys, in documentation order.
ConfigSchema ConfigKeys();

// The chat assistant: the built-in analyst always, a remote OpenAI-compatible service when chat.base_url is
// set.
struct ChatOptions {
  std::string base_url;  // empty: the analyst answers every turn
  std::string model = "gpt-4o-mini";
  std::string key_env = "CHAT_API_KEY";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};
  int attempts = 3;
  int max_tool_rounds = 4;
  int history_turns = 20;  // messages kept per session (user and assistant each count)
  std::chrono::seconds history_ttl{86400};
  std::chrono::seconds degraded_window{60};  // a remote failure marks chat_service degraded this long
};

struct SipremsOptions {
  Interval interval = Interval::kMonth;  // what the models forecast: sales summed per period
  int max_horizon = 60;
  int holdout_periods = 12;     // the backtest route's split: the last periods, held out
  int backtest_origins = 3;     // rolling-origin cut-offs the family is chosen by
  double accept_margin = 0.05;  // a new version serves when its MASE <= served MASE * (1 + margin)
  std::string train_schedule = "0 2 * * *";
  bool retrain_after_import = true;
  std::chrono::seconds forecast_cache_ttl{300};
  bool public_reads = false;  // the read routes answer without credentials, cacheable by nginx
  std::size_t forecast_cache_bytes = 64u << 20;
  std::chrono::milliseconds model_refresh{1000};
  std::uint64_t max_import_bytes = 256ull << 20;
  std::int64_t max_import_rows = 1'000'000;
  std::int64_t predict_per_minute = 180;  // the seed's nginx: 3 r/s
  std::int64_t predict_burst = 5;
  ChatOptions chat;

  // REQUIRES: `config` was loaded against a schema holding ConfigKeys().
  static SipremsOptions Read(const Config& config);
};

}  // namespace keel::siprems
