// Compiling a rules body into schemas by event name, and checking events against them.
#include "apps/validation/rule_set.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace keel::validation {
using http::FieldAtPointer;

RuleSetResult RuleSet::Compile(const nlohmann::json& rules) {
  std::vector<http::FieldError> errors;
  if (!rules.is_object())
    return std::vector{http::FieldError("body", "must be an object: {\"events\": {...}}", "")};
  Unplanned unplanned = Unplanned::kAllow;
  auto schemas = std::make_shared<std::map<std::string, CompiledSchema, std::less<>>>();
  for (const auto& [key, value] : rules.items()) {
    if (key == "unplanned") {
      if (value == "allow")
        unplanned = Unplanned::kAllow;
      else if (value == "flag")
        unplanned = Unplanned::kFlag;
      else if (value == "block")
        unplanned = Unplanned::kBlock;
      else
        errors.push_back(FieldAtPointer("/unplanned", "must be allow, flag or block"));
    } else if (key == "events") {
      if (!value.is_object()) {
        errors.push_back(FieldAtPointer("/events", "must be an object of JSON Schemas by event name"));
        continue;
      }
      for (const auto& [name, schema] : value.items()) {
        std::string at = http::JsonPointerAppend("/events", name);
        if (name.empty() || name.size() > kMaxEventNameLength) {
          errors.push_back(
              FieldAtPointer(at, fmt::format("an event name has 1 to {} characters", kMaxEventNameLength)));
          continue;
        }
        auto compiled = CompiledSchema::Compile(schema);
        if (auto* error = std::get_if<SchemaError>(&compiled)) {
          std::string pointer = error->pointer == "/" ? at : at + error->pointer;
          errors.push_back(FieldAtPointer(pointer, error->message));
          continue;
        }
        schemas->emplace(name, std::get<CompiledSchema>(std::move(compiled)));
      }
    } else {
      errors.push_back(FieldAtPointer(http::JsonPointerAppend("", key),
                                      "is not part of a rules version (events, unplanned)"));
    }
  }
  if (!rules.contains("events")) errors.push_back(FieldAtPointer("/events", "is required"));
  if (!errors.empty()) return errors;
  return RuleSet(std::move(schemas), unplanned);
}

Verdict RuleSet::Check(const IncomingEvent& event) const {
  Verdict verdict;
  auto schema = schemas_->find(event.name);
  if (schema == schemas_->end()) {
    verdict.unplanned = true;
    if (unplanned_ == Unplanned::kAllow) return verdict;
    verdict.valid = false;
    verdict.blocked_by_rules = unplanned_ == Unplanned::kBlock;
    verdict.violations.push_back(
        Violation{"/event", "unplanned", "no schema in the app's rules names this event"});
    return verdict;
  }
  std::string path = "/properties";  // violations are placed from the event's root, wherever it is in a batch
  schema->second.Validate(event.properties, path, verdict.violations);
  verdict.valid = verdict.violations.empty();
  return verdict;
}

}  // namespace keel::validation
