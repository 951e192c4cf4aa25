// The body of POST /api/v1/logs: one event {"event", "timestamp"?, "user_id"?, "properties"?} or
// {"events": [...]} with 1..kMaxEvents of them. Read with simdjson, since this is the ingestion hot path,
// under the rules every JSON body follows (http/json_body.hpp): not JSON is 400; a well-formed body's
// problems are 422, one entry per field with its JSON pointer ("/events/3/timestamp"), and a batch with
// any such problem stores nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

#include "http/json_body.hpp"

namespace keel::validation {

inline constexpr std::size_t kMaxEvents = 1000;
inline constexpr std::size_t kMaxEventNameLength = 200;

// One event as sent. The views point into the parser's document: they live as long as the parser's next
// parse does not happen.
struct IncomingEvent {
  std::string_view name;
  std::optional<std::int64_t> timestamp_ms;  // when the sender says it happened; absent: when it arrived
  std::optional<std::string_view> user_id;
  simdjson::dom::element properties;  // an object; {} when absent
  std::string pointer;                // "" for a single event, "/events/3" in a batch: the root of its paths
};

struct EventBatch {
  std::vector<IncomingEvent> events;
  bool many = false;  // sent as {"events": [...]}
};

using ParsedBatch = std::variant<EventBatch, http::InputProblem>;

// `parser` owns the document the events point into. `body` needs simdjson's padding, so it is copied once
// into the parser's buffer.
ParsedBatch ParseEventBatch(simdjson::dom::parser& parser, std::string_view body);

}  // namespace keel::validation
