// ParseEventBatch: a simdjson DOM walk of the envelope; the properties are left to the app's rules.
#include "apps/validation/event_batch.hpp"

#include <fmt/format.h>

#include "core/rfc3339.hpp"
#include "core/utf8.hpp"

namespace keel::validation {
namespace {

namespace dom = simdjson::dom;

// An empty object for events sent without properties, parsed once per thread.
dom::element EmptyProperties() {
  thread_local dom::parser parser;
  thread_local dom::element empty = parser.parse(std::string_view("{}")).value();
  return empty;
}

class EnvelopeReader {
 public:
  explicit EnvelopeReader(std::vector<http::FieldError>& errors) : errors_(errors) {}

  // The event at `pointer` ("" or "/events/i"), or nothing when it has errors (recorded).
  std::optional<IncomingEvent> Read(dom::element value, std::string pointer) {
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
      Error(pointer, "must be an object: {\"event\": ..., \"properties\": {...}}");
      return std::nullopt;
    }
    const std::size_t before = errors_.size();
    IncomingEvent event;
    bool named = false;
    bool has_properties = false;  // a default dom::element points at no document: never ask it anything
    std::vector<std::string_view> seen;
    for (auto [key, member] : object) {
      std::string at = http::JsonPointerAppend(pointer, key);
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        Error(at, "is given more than once");
        continue;
      }
      seen.push_back(key);
      if (key == "event") {
        named = true;
        std::string_view name;
        auto length = member.get_string().get(name) == simdjson::SUCCESS ? Utf8Length(name) : std::nullopt;
        if (!length || *length == 0 || *length > kMaxEventNameLength)
          Error(at, fmt::format("must be the event's name, 1 to {} characters", kMaxEventNameLength));
        event.name = name;
      } else if (key == "timestamp") {
        std::string_view text;
        std::optional<std::int64_t> ms;
        if (member.get_string().get(text) == simdjson::SUCCESS) ms = ParseRfc3339(text);
        if (!ms)
          Error(at, "must be an RFC 3339 date-time (2026-12-02T10:00:00Z)");
        else
          event.timestamp_ms = ms;
      } else if (key == "user_id") {
        std::string_view user;
        auto length = member.get_string().get(user) == simdjson::SUCCESS ? Utf8Length(user) : std::nullopt;
        if (!length || *length > 200)
          Error(at, "must be a string of at most 200 characters");
        else
          event.user_id = user;
      } else if (key == "properties") {
        if (!member.is_object()) {
          Error(at, "must be an object");
        } else {
          event.properties = member;
          has_properties = true;
        }
      } else {
        Error(at, "is not a field of an event (event, timestamp, user_id, properties)");
      }
    }
    if (!named) Error(http::JsonPointerAppend(pointer, "event"), "is required");
    if (errors_.size() != before) return std::nullopt;
    if (!has_properties) event.properties = EmptyProperties();
    event.pointer = std::move(pointer);
    return event;
  }

  void Error(const std::string& pointer, std::string message) {
    errors_.push_back(http::FieldAtPointer(pointer, std::move(message)));
  }

 private:
  std::vector<http::FieldError>& errors_;
};

}  // namespace

ParsedBatch ParseEventBatch(dom::parser& parser, std::string_view body) {
  dom::element root;
  if (auto error = parser.parse(body.data(), body.size()).get(root); error != simdjson::SUCCESS)
    return http::InputProblem{fmt::format("the body is not JSON: {}", simdjson::error_message(error)), {}};
  http::InputProblem problem;
  EnvelopeReader reader(problem.errors);
  EventBatch batch;
  dom::object object;
  dom::array events;
  if (root.get_object().get(object) == simdjson::SUCCESS &&
      object.at_key("events").get(events) == simdjson::SUCCESS) {
    batch.many = true;
    if (object.size() != 1) reader.Error("", "a batch is {\"events\": [...]} and nothing else");
    std::size_t count = events.size();
    if (count == 0 || count > kMaxEvents)
      reader.Error("/events", fmt::format("must hold 1 to {} events", kMaxEvents));
    if (!problem.errors.empty()) return problem;
    batch.events.reserve(count);
    std::size_t i = 0;
    for (dom::element value : events) {
      if (auto event = reader.Read(value, fmt::format("/events/{}", i)))
        batch.events.push_back(std::move(*event));
      ++i;
    }
  } else if (auto event = reader.Read(root, "")) {
    batch.events.push_back(std::move(*event));
  }
  if (!problem.errors.empty()) return problem;
  return batch;
}

}  // namespace keel::validation
