#include "apps/siprems/siprems_config.hpp"

#include "core/config_keys.hpp"

namespace keel::siprems {

ConfigSchema ConfigKeys() {
  using schema::Bool;
  using schema::Int;
  using schema::String;
  return {
      String("siprems.interval", "month",
             "What the forecasting models see: each product's sales summed per day, week (ISO, from Monday) "
             "or month. The season is 7, 52 or 12 periods.",
             schema::OneOf({"day", "week", "month"})),
      Int("siprems.max_horizon", 60, 1, 1000, "Most periods a forecast may reach ahead (?horizon=)."),
      Int("siprems.holdout_periods", 12, 1, 1000,
          "The backtest route's split: the last this many periods are held out, the models fitted to the "
          "rest."),
      Int("siprems.backtest_origins", 3, 1, 50,
          "Rolling-origin cut-offs per product the model family is chosen by (MASE against seasonal naive)."),
      Int("siprems.accept_margin_pct", 5, 0, 1000,
          "A newly trained version serves only when its backtest MASE is at most the served version's plus "
          "this many percent; otherwise it is recorded as refused and the served one stays."),
      String("siprems.train_schedule", "0 2 * * *",
             "When every product's model is retrained (cron, UTC; empty: never on a schedule)."),
      Bool("siprems.retrain_after_import", true, "Retrain the products a sales import touched, at once."),
      Int("siprems.forecast_cache_ttl_s", 300, 1, 86400,
          "Seconds a forecast stays cached per product, version and horizon (a new version is a new key)."),
      Bool(
          "siprems.public_reads", false,
          "The catalogue's, sales', forecast and backtest GET routes answer without credentials, marked "
          "Cache-Control: public for siprems.forecast_cache_ttl_s, so nginx's cache serves repeated reads "
          "(X-Cache-Status), as seed 004's does. For a shop whose sales figures are public; writes, training "
          "and the chat always need credentials."),
      Int("siprems.forecast_cache_mb", 64, 1, 1 << 20, "MiB of forecasts cached in each process."),
      Int("siprems.model_refresh_ms", 1000, 10, 3600000,
          "How long a process trusts its note of which version serves a product before reading it again "
          "(a new version is announced at once over pub/sub; this bounds a missed announcement)."),
      Int("siprems.max_import_mb", 256, 1, 1 << 20,
          "Largest CSV a sales import accepts, in MiB (more: 413)."),
      Int("siprems.max_import_rows", 1000000, 1, 1000000000, "Most rows one sales import may hold."),
      Int("siprems.predict_per_minute", 180, 1, 100000000,
          "POST /api/v1/predict: requests per client address per minute (the seed's nginx: 3 r/s)."),
      Int("siprems.predict_burst", 5, 1, 100000000, "POST /api/v1/predict: requests allowed back to back."),
      schema::OptionalUrl(
          "chat.base_url",
          "An OpenAI-compatible chat-completions service (its /chat/completions is called, with "
          "tools). Empty: the built-in analyst answers every turn. When the service fails, the "
          "analyst answers and says so.",
          {"http", "https"}),
      String("chat.model", "gpt-4o-mini", "The model named in chat-completions requests."),
      String("chat.key_env", "CHAT_API_KEY",
             "The environment variable holding the service's key (sent as Authorization: Bearer ...)."),
      Int("chat.connect_timeout_ms", 5000, 10, 600000, "Connect timeout to the chat service."),
      Int("chat.timeout_ms", 30000, 100, 600000, "Longest single request to the chat service."),
      Int("chat.attempts", 3, 1, 10,
          "Attempts per request to the chat service (429, 5xx and time-outs retry)."),
      Int("chat.max_tool_rounds", 4, 1, 20, "Tool-call rounds per turn before the service must answer."),
      Int("chat.history_turns", 20, 2, 1000, "Messages kept per chat session (older ones are dropped)."),
      Int("chat.history_ttl_s", 86400, 60, 365 * 86400,
          "Seconds a chat session is kept after its last turn."),
      Int("chat.degraded_window_s", 60, 1, 86400,
          "Seconds /ready reports chat_service degraded after the remote service failed a turn."),
  };
}

SipremsOptions SipremsOptions::Read(const Config& c) {
  SipremsOptions o;
  o.interval = ParseInterval(c.String("siprems.interval")).value_or(Interval::kMonth);
  o.max_horizon = static_cast<int>(c.Int("siprems.max_horizon"));
  o.holdout_periods = static_cast<int>(c.Int("siprems.holdout_periods"));
  o.backtest_origins = static_cast<int>(c.Int("siprems.backtest_origins"));
  o.accept_margin = static_cast<double>(c.Int("siprems.accept_margin_pct")) / 100.0;
  o.train_schedule = c.String("siprems.train_schedule");
  o.retrain_after_import = c.Bool("siprems.retrain_after_import");
  o.forecast_cache_ttl = std::chrono::seconds(c.Int("siprems.forecast_cache_ttl_s"));
  o.public_reads = c.Bool("siprems.public_reads");
  o.forecast_cache_bytes = static_cast<std::size_t>(c.Int("siprems.forecast_cache_mb")) << 20;
  o.model_refresh = std::chrono::milliseconds(c.Int("siprems.model_refresh_ms"));
  o.max_import_bytes = static_cast<std::uint64_t>(c.Int("siprems.max_import_mb")) << 20;
  o.max_import_rows = c.Int("siprems.max_import_rows");
  o.predict_per_minute = c.Int("siprems.predict_per_minute");
  o.predict_burst = c.Int("siprems.predict_burst");
  o.chat.base_url = c.String("chat.base_url");
  while (!o.chat.base_url.empty() && o.chat.base_url.back() == '/') o.chat.base_url.pop_back();
  o.chat.model = c.String("chat.model");
  o.chat.key_env = c.String("chat.key_env");
  o.chat.connect_timeout = std::chrono::milliseconds(c.Int("chat.connect_timeout_ms"));
  o.chat.timeout = std::chrono::milliseconds(c.Int("chat.timeout_ms"));
  o.chat.attempts = static_cast<int>(c.Int("chat.attempts"));
  o.chat.max_tool_rounds = static_cast<int>(c.Int("chat.max_tool_rounds"));
  o.chat.history_turns = static_cast<int>(c.Int("chat.history_turns"));
  o.chat.history_ttl = std::chrono::seconds(c.Int("chat.history_ttl_s"));
  o.chat.degraded_window = std::chrono::seconds(c.Int("chat.degraded_window_s"));
  return o;
}

}  // namespace keel::siprems
