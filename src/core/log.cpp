// JSON-lines logging on spdlog: the time and level come from the pattern, the rest is pre-built JSON.
#include "core/log.hpp"

#include <atomic>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/json_text.hpp"

namespace keel::log {
namespace {

constexpr const char* kPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})";

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> MakeSyncLogger() {
  auto logger = std::make_shared<spdlog::logger>("keel", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  logger->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

// Both loggers live until exit; `current` picks one without a lock on the hot path.
struct Sink {
  std::mutex mutex;  // serializes Start/Stop
  std::shared_ptr<spdlog::logger> sync = MakeSyncLogger();
  std::shared_ptr<spdlog::logger> async;
  std::atomic<spdlog::logger*> current{sync.get()};
};

Sink& TheSink() {
  static Sink sink;
  return sink;
}

spdlog::logger* CurrentLogger() { return TheSink().current.load(std::memory_order_acquire); }

void AppendKey(std::string& json, std::string_view key) {
  json += ',';
  AppendJsonString(json, key);
  json += ':';
}

}  // namespace

Level ParseLevel(std::string_view text) {
  if (text == "trace") return Level::kTrace;
  if (text == "debug") return Level::kDebug;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  return Level::kInfo;
}

Fields& Fields::Add(std::string_view key, std::string_view value) {
  AppendKey(json_, key);
  AppendJsonString(json_, value);
  return *this;
}

Fields& Fields::Add(std::string_view key, std::int64_t value) {
  AppendKey(json_, key);
  fmt::format_to(std::back_inserter(json_), "{}", value);
  return *this;
}

Fields& Fields::Add(std::string_view key, std::uint64_t value) {
  AppendKey(json_, key);
  fmt::format_to(std::back_inserter(json_), "{}", value);
  return *this;
}

Fields& Fields::Add(std::string_view key, double value) {
  AppendKey(json_, key);
  fmt::format_to(std::back_inserter(json_), "{:.6g}", value);
  return *this;
}

Fields& Fields::Add(std::string_view key, bool value) {
  AppendKey(json_, key);
  json_ += value ? "true" : "false";
  return *this;
}

void Start(Level level) {
  auto& sink = TheSink();
  std::lock_guard lock(sink.mutex);
  if (!sink.async) {
    // Block rather than drop when the queue is full: a lost log line is worse than a slower request.
    spdlog::init_thread_pool(16384, 1);
    sink.async =
        std::make_shared<spdlog::async_logger>("keel", std::make_shared<spdlog::sinks::stdout_sink_st>(),
                                               spdlog::thread_pool(), spdlog::async_overflow_policy::block);
    sink.async->set_pattern(kPattern, spdlog::pattern_time_type::utc);
    sink.async->flush_on(spdlog::level::warn);
    spdlog::register_logger(sink.async);  // so the periodic flusher sees it
    spdlog::flush_every(std::chrono::seconds(1));
  }
  sink.async->set_level(ToSpd(level));
  sink.sync->set_level(ToSpd(level));
  sink.current.store(sink.async.get(), std::memory_order_release);
}

void Stop() {
  auto& sink = TheSink();
  std::lock_guard lock(sink.mutex);
  if (sink.current.load() == sink.sync.get()) return;
  sink.current.store(sink.sync.get(), std::memory_order_release);
  sink.async->flush();
  spdlog::shutdown();  // joins the writer thread once the queue is written out
  sink.async.reset();
}

void SetLevel(Level level) {
  auto& sink = TheSink();
  std::lock_guard lock(sink.mutex);
  sink.sync->set_level(ToSpd(level));
  if (sink.async) sink.async->set_level(ToSpd(level));
}

bool Enabled(Level level) { return CurrentLogger()->should_log(ToSpd(level)); }

void Write(Level level, std::string_view message, const Fields& fields) {
  auto* logger = CurrentLogger();
  auto spd_level = ToSpd(level);
  if (!logger->should_log(spd_level)) return;
  std::string line;
  line.reserve(32 + message.size() + fields.json().size());
  line += "\"message\":";
  AppendJsonString(line, message);
  line += fields.json();
  logger->log(spd_level, "{}", line);
}

}  // namespace keel::log
