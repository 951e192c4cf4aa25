// Validation rules as JSON Schema (draft 7), compiled once into a validator that checks event properties on
// the ingestion path.
//
// The keywords: type, enum, const, required, properties, additionalProperties, items (one schema, or one per
// position), minItems, maxItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minLength,
// maxLength, pattern and format (date-time, email, uuid, ipv4); boolean schemas (true, false); and the
// annotations that validate nothing ($schema of draft 7, $id, $comment, title, description, default,
// examples). Any other keyword, or another format, is refused at compile time with its place in the schema:
// a rule that would be silently ignored is worse than none. Patterns are RE2 (linear time, no backtracking),
// so no rule can stall ingestion; a pattern RE2 cannot run (backreferences, lookaround) is refused.
//
// Thread safety: a CompiledSchema is immutable; Validate is safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>
#include <nlohmann/json_fwd.hpp>

namespace keel::validation {

// One broken rule: where in the event (a JSON pointer from its root), which keyword, and what is wrong.
struct Violation {
  std::string path;
  std::string rule;
  std::string message;
};

// Why a schema does not compile: where in the schema (a JSON pointer), and what is wrong.
struct SchemaError {
  std::string pointer;
  std::string message;
};

class CompiledSchema;
using CompileResult = std::variant<CompiledSchema, SchemaError>;

class CompiledSchema {
 public:
  static CompileResult Compile(const nlohmann::json& schema);

  // Checks `value`, found at `path` in the event, and appends a violation for each rule it breaks. `path` is
  // used as scratch space (members and indexes are appended and removed) and is unchanged on return.
  void Validate(simdjson::dom::element value, std::string& path, std::vector<Violation>& violations) const;

  // Whether `value` breaks no rule (stops at the first violation).
  bool Valid(simdjson::dom::element value) const;

  struct Node;

 private:
  explicit CompiledSchema(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace keel::validation
