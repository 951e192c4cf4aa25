// Structured logging: one JSON object per line on stdout, buffered and written by a flusher thread.
//
// The sink is process-wide, like stdout itself; everything else in Keel is owned by App. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace keel::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };

// Parses "trace".."error"; unknown text gives kInfo (config validation rejects it earlier).
Level ParseLevel(std::string_view text);

// Extra fields of one line, kept as ready-made JSON so formatting happens once, on the caller's thread.
class Fields {
 public:
  Fields& Add(std::string_view key, std::string_view value);
  Fields& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  Fields& Add(std::string_view key, std::int64_t value);
  Fields& Add(std::string_view key, int value) { return Add(key, static_cast<std::int64_t>(value)); }
  Fields& Add(std::string_view key, std::uint64_t value);
  Fields& Add(std::string_view key, double value);
  Fields& Add(std::string_view key, bool value);
  // Empties the fields and keeps the capacity, for a Fields reused line after line.
  void Clear() { json_.clear(); }
  const std::string& json() const { return json_; }

 private:
  std::string json_;
};

// Starts buffering: a flusher thread writes lines every 100 ms (warnings and errors at once). Before Start
// and after Stop every line is written immediately.
void Start(Level level);
// Flushes and stops the flusher thread.
void Stop();
void SetLevel(Level level);
bool Enabled(Level level);

void Write(Level level, std::string_view message, const Fields& fields = {});

inline void Debug(std::string_view message, const Fields& fields = {}) {
  Write(Level::kDebug, message, fields);
}
inline void Info(std::string_view message, const Fields& fields = {}) {
  Write(Level::kInfo, message, fields);
}
inline void Warn(std::string_view message, const Fields& fields = {}) {
  Write(Level::kWarn, message, fields);
}
inline void Error(std::string_view message, const Fields& fields = {}) {
  Write(Level::kError, message, fields);
}

}  // namespace keel::log
