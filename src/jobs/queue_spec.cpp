// ParseQueueSpecs: "name[:[min-]max]".
#include "jobs/queue_spec.hpp"

#include <cctype>
#include <charconv>
#include <set>

#include <fmt/format.h>

namespace keel::jobs {
namespace {

constexpr int kMaxWorkers = 256;

bool ParseCount(std::string_view text, int& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out >= 0 && out <= kMaxWorkers;
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

}  // namespace

Result<std::vector<QueueOptions>> ParseQueueSpecs(const std::vector<std::string>& specs) {
  std::vector<QueueOptions> queues;
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    auto invalid = [&spec](std::string_view why) {
      return Error{ErrorCode::kInvalidArgument, fmt::format("queue spec \"{}\": {}", spec, why)};
    };
    std::string_view text = spec;
    auto colon = text.find(':');
    QueueOptions queue;
    queue.name = std::string(text.substr(0, colon));
    if (!ValidName(queue.name)) return invalid("the name must be 1-64 letters, digits, '_', '-' or '.'");
    if (colon != std::string_view::npos) {
      std::string_view bounds = text.substr(colon + 1);
      auto dash = bounds.find('-');
      if (dash == std::string_view::npos) {
        if (!ParseCount(bounds, queue.max_workers)) return invalid("max must be a number from 1 to 256");
        queue.min_workers = std::min(1, queue.max_workers);
      } else if (!ParseCount(bounds.substr(0, dash), queue.min_workers) ||
                 !ParseCount(bounds.substr(dash + 1), queue.max_workers)) {
        return invalid("expected min-max, numbers from 0 to 256");
      }
    }
    if (queue.max_workers < 1) return invalid("max must be at least 1");
    if (queue.min_workers > queue.max_workers) return invalid("min must not exceed max");
    if (!seen.insert(queue.name).second) return invalid("the queue is listed twice");
    queues.push_back(std::move(queue));
  }
  return queues;
}

}  // namespace keel::jobs
