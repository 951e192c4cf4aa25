// JSON-lines logging: each line is formatted whole on the caller's thread into a thread-local buffer,
// appended to a shared buffer, and written to stdout by a flusher thread every 100 ms or as soon as 256 KiB
// are waiting. Warnings and errors are written at once, by the caller.
//
// The caller never makes a syscall for an info line: an IO thread writing a full buffer itself stalled every
// connection it served. Both buffers keep their capacity across flushes, so a busy log allocates nothing.
// With spdlog's pattern formatter and its per-line copies the access log cost 12-14% of /health (one IO
// thread); formatted here, 6-7%. (spdlog's own async logger, tried earlier, woke a thread per line.)
#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/json_text.hpp"

namespace keel::log {
namespace {

constexpr std::size_t kFlushBytes = 256 * 1024;
// Past this, stdout is not keeping up (a full pipe, a slow disk): callers write themselves and so wait for
// it, rather than the buffer growing without bound.
constexpr std::size_t kBlockBytes = 16 * 1024 * 1024;
constexpr auto kFlushPeriod = std::chrono::milliseconds(100);

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
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

// `{"time":"2026-12-04T02:30:00.123456Z","level":"info",` with the seconds formatted once per second per
// thread.
void AppendPrefix(std::string& out, Level level) {
  thread_local std::time_t formatted_second = -1;
  thread_local char second_text[32];
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec != formatted_second) {
    std::tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    std::strftime(second_text, sizeof second_text, "%Y-%m-%dT%H:%M:%S", &utc);
    formatted_second = now.tv_sec;
  }
  out += R"({"time":")";
  out += second_text;
  char micros[7] = {'.'};
  for (long value = now.tv_nsec / 1000, i = 6; i > 0; --i, value /= 10)
    micros[i] = static_cast<char>('0' + value % 10);
  out.append(micros, sizeof micros);
  out += R"(Z","level":")";
  out += LevelName(level);
  out += "\",";
}

// The shared buffer and its flusher thread.
class Sink {
 public:
  void Append(std::string_view line, bool urgent) {
    bool write_now = false;
    bool wake = false;
    {
      std::lock_guard lock(buffer_mutex_);
      buffer_.append(line);
      write_now = urgent || !buffered_ || buffer_.size() >= kBlockBytes;
      if (!write_now && buffer_.size() >= kFlushBytes && !flush_wanted_) wake = flush_wanted_ = true;
    }
    if (write_now)
      Flush();
    else if (wake)
      wake_.notify_one();
  }

  // Writes what is buffered. Chunks leave in the order they were buffered, whoever flushes.
  void Flush() {
    std::lock_guard write_lock(write_mutex_);
    {
      std::lock_guard lock(buffer_mutex_);
      chunk_.swap(buffer_);
      flush_wanted_ = false;
    }
    WriteAll(STDOUT_FILENO, chunk_);
    chunk_.clear();
  }

  void Start() {
    std::lock_guard start_lock(start_mutex_);
    if (flusher_.joinable()) return;
    {
      std::lock_guard lock(buffer_mutex_);
      stopping_ = false;
      buffered_ = true;
    }
    flusher_ = std::thread([this] { RunFlusher(); });
  }

  void Stop() {
    std::lock_guard start_lock(start_mutex_);
    if (!flusher_.joinable()) return;
    {
      std::lock_guard lock(buffer_mutex_);
      stopping_ = true;
      buffered_ = false;
    }
    wake_.notify_all();
    flusher_.join();
    Flush();
  }

  void SetLevel(Level level) { level_.store(static_cast<int>(level), std::memory_order_relaxed); }
  bool Enabled(Level level) const {
    return static_cast<int>(level) >= level_.load(std::memory_order_relaxed);
  }

 private:
  void RunFlusher() {
    std::unique_lock lock(buffer_mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, kFlushPeriod, [this] { return stopping_ || flush_wanted_; });
      lock.unlock();
      Flush();
      lock.lock();
    }
  }

  std::atomic<int> level_{static_cast<int>(Level::kInfo)};
  std::mutex start_mutex_;  // serializes Start and Stop
  std::thread flusher_;
  std::mutex write_mutex_;  // taken before buffer_mutex_
  std::string chunk_;       // GUARDED_BY(write_mutex_): the buffer being written
  std::mutex buffer_mutex_;
  std::condition_variable wake_;
  std::string buffer_;     // GUARDED_BY(buffer_mutex_)
  bool buffered_ = false;  // GUARDED_BY(buffer_mutex_): false until Start, so early lines are written at once
  bool stopping_ = false;  // GUARDED_BY(buffer_mutex_)
  bool flush_wanted_ = false;  // GUARDED_BY(buffer_mutex_)
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
  fmt::format_int text(value);
  json_.append(text.data(), text.size());
  return *this;
}

Fields& Fields::Add(std::string_view key, std::uint64_t value) {
  AppendKey(json_, key);
  fmt::format_int text(value);
  json_.append(text.data(), text.size());
  return *this;
}

Fields& Fields::Add(std::string_view key, double value) {
  AppendKey(json_, key);
  char text[32];
  auto [end, error] = std::to_chars(text, text + sizeof text, value, std::chars_format::general, 6);
  if (error != std::errc()) return *this;  // 32 bytes hold any double at 6 digits
  json_.append(text, end);
  return *this;
}

Fields& Fields::Add(std::string_view key, bool value) {
  AppendKey(json_, key);
  json_ += value ? "true" : "false";
  return *this;
}

void Start(Level level) {
  SetLevel(level);
  TheSink().Start();
}

void Stop() { TheSink().Stop(); }

void SetLevel(Level level) { TheSink().SetLevel(level); }

bool Enabled(Level level) { return TheSink().Enabled(level); }

void Write(Level level, std::string_view message, const Fields& fields) {
  auto& sink = TheSink();
  if (!sink.Enabled(level)) return;
  thread_local std::string line;
  line.clear();
  AppendPrefix(line, level);
  line += "\"message\":";
  AppendJsonString(line, message);
  line += fields.json();
  line += "}\n";
  sink.Append(line, level >= Level::kWarn);
  // A rare huge line (a long error) is not kept for the thread's life.
  if (line.capacity() > 64 * 1024) std::string().swap(line);
}

}  // namespace keel::log
