// JSON-lines logging on spdlog: the time and level come from the pattern, the rest is pre-built JSON.
//
// Lines are formatted on the caller's thread into a shared buffer and written to stdout by a flusher thread
// every 100 ms (at once for warnings and errors, and whenever the buffer passes 256 KiB). spdlog's own async
// logger wakes its thread for every line, which cost 40% of /health throughput with the access log on.
#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include "core/json_text.hpp"

namespace keel::log {
namespace {

constexpr const char* kPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})";
constexpr std::size_t kFlushBytes = 256 * 1024;
constexpr auto kFlushPeriod = std::chrono::milliseconds(100);

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

void WriteAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout is gone; nothing sensible to do with a log line
    done += static_cast<std::size_t>(n);
  }
}

// A sink that buffers formatted lines; Flush writes them out in order.
class BufferedStdoutSink final : public spdlog::sinks::sink {
 public:
  BufferedStdoutSink()
      : formatter_(std::make_unique<spdlog::pattern_formatter>(kPattern, spdlog::pattern_time_type::utc)) {}

  void log(const spdlog::details::log_msg& msg) override {
    bool full = false;
    {
      std::lock_guard lock(buffer_mutex_);
      spdlog::memory_buf_t formatted;
      formatter_->format(msg, formatted);
      buffer_.append(formatted.data(), formatted.size());
      full = buffer_.size() >= kFlushBytes;
    }
    if (full || msg.level >= spdlog::level::warn || !buffered_.load(std::memory_order_relaxed)) flush();
  }

  void flush() override {
    std::lock_guard write_lock(write_mutex_);  // keeps chunks in order when two threads flush at once
    std::string chunk;
    {
      std::lock_guard lock(buffer_mutex_);
      chunk.swap(buffer_);
    }
    WriteAll(STDOUT_FILENO, chunk);
  }

  void set_pattern(const std::string& pattern) override {
    std::lock_guard lock(buffer_mutex_);
    formatter_ = std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc);
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    std::lock_guard lock(buffer_mutex_);
    formatter_ = std::move(formatter);
  }

  // Unbuffered until the flusher thread runs, so early lines and short-lived commands lose nothing.
  void SetBuffered(bool buffered) { buffered_.store(buffered); }

 private:
  std::mutex write_mutex_;
  std::mutex buffer_mutex_;
  std::string buffer_;                            // GUARDED_BY(buffer_mutex_)
  std::unique_ptr<spdlog::formatter> formatter_;  // GUARDED_BY(buffer_mutex_)
  std::atomic<bool> buffered_{false};
};

struct Sink {
  std::shared_ptr<BufferedStdoutSink> stdout_sink = std::make_shared<BufferedStdoutSink>();
  spdlog::logger logger{"keel", stdout_sink};
  std::mutex mutex;  // serializes Start/Stop
  std::condition_variable wake;
  bool stopping = false;  // GUARDED_BY(mutex)
  std::thread flusher;
};

Sink& TheSink() {
  static Sink sink;
  return sink;
}

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
  SetLevel(level);
  std::lock_guard lock(sink.mutex);
  if (sink.flusher.joinable()) return;
  sink.stopping = false;
  sink.stdout_sink->SetBuffered(true);
  sink.flusher = std::thread([&sink] {
    std::unique_lock lock(sink.mutex);
    while (!sink.stopping) {
      sink.wake.wait_for(lock, kFlushPeriod);
      sink.stdout_sink->flush();
    }
  });
}

void Stop() {
  auto& sink = TheSink();
  {
    std::lock_guard lock(sink.mutex);
    if (!sink.flusher.joinable()) return;
    sink.stopping = true;
  }
  sink.wake.notify_all();
  sink.flusher.join();
  sink.stdout_sink->SetBuffered(false);
  sink.stdout_sink->flush();
}

void SetLevel(Level level) { TheSink().logger.set_level(ToSpd(level)); }

bool Enabled(Level level) { return TheSink().logger.should_log(ToSpd(level)); }

void Write(Level level, std::string_view message, const Fields& fields) {
  auto& logger = TheSink().logger;
  auto spd_level = ToSpd(level);
  if (!logger.should_log(spd_level)) return;
  std::string line;
  line.reserve(32 + message.size() + fields.json().size());
  line += "\"message\":";
  AppendJsonString(line, message);
  line += fields.json();
  logger.log(spd_level, std::string_view(line));
}

}  // namespace keel::log
