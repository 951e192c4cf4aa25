// One version of an app's validation rules, compiled: a JSON Schema per planned event name (it validates the
// event's `properties`) and what happens to an event no schema names ("unplanned").
//
// What an event's verdict means for storage is the app's mode's to say (flag: stored with its validity;
// block: invalid events go to the failed events), except for unplanned events, whose policy says it:
// allow (valid), flag (stored as invalid, even in block mode), block (kept aside as failed, even in flag
// mode).
//
// Thread safety: immutable once compiled; Check is safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "apps/validation/event_batch.hpp"
#include "apps/validation/json_schema.hpp"
#include "http/problem.hpp"

namespace keel::validation {

enum class Unplanned { kAllow, kFlag, kBlock };

struct Verdict {
  bool valid = true;
  bool unplanned = false;
  // Set for an invalid event the rules themselves keep aside (an unplanned event under "block"); otherwise
  // the app's mode decides.
  bool blocked_by_rules = false;
  std::vector<Violation> violations;
};

class RuleSet;
using RuleSetResult = std::variant<RuleSet, std::vector<http::FieldError>>;

class RuleSet {
 public:
  // `rules` is the body of PUT /rules: {"events": {"<name>": <JSON Schema>, ...}, "unplanned": "allow" |
  // "flag" | "block"} ("unplanned" defaults to allow). Every schema's problems are reported, each with its
  // pointer in the body ("/events/signup/properties/plan/oneOf").
  static RuleSetResult Compile(const nlohmann::json& rules);

  Verdict Check(const IncomingEvent& event) const;

  Unplanned unplanned() const { return unplanned_; }
  std::size_t planned_events() const { return schemas_->size(); }

 private:
  RuleSet(std::shared_ptr<const std::map<std::string, CompiledSchema, std::less<>>> schemas,
          Unplanned unplanned)
      : schemas_(std::move(schemas)), unplanned_(unplanned) {}

  std::shared_ptr<const std::map<std::string, CompiledSchema, std::less<>>> schemas_;
  Unplanned unplanned_;
};

}  // namespace keel::validation
