// Validating Task API input: create and patch bodies, and list query parameters. Pure functions: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "apps/tasks/task.hpp"
#include "http/json_body.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"

namespace keel::tasks {

// A patch: each field is set only when the client sent it. due_at: outer optional = sent, inner = value or
// null.
struct TaskPatch {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> status;
  std::optional<std::string> priority;
  std::optional<std::optional<std::string>> due_at;
  bool Empty() const { return !title && !description && !status && !priority && !due_at; }
};

enum class SortKey { kCreatedAt, kDueAt, kPriority };

struct ListQuery {
  std::int64_t page = 1;
  std::int64_t per_page = 20;
  std::optional<std::string> status;
  std::optional<std::string> priority;
  SortKey sort = SortKey::kCreatedAt;
  bool descending = true;
  std::optional<std::string> user_id;  // admins only: whose tasks
};

// The input's problem: a malformed body (400), or invalid fields and query parameters (422).
using Invalid = http::InputProblem;

// Parses a create body into a task with defaults (status todo, priority medium); fields outside the API →
// error.
std::variant<TaskRecord, Invalid> ParseNewTask(std::string_view body);
std::variant<TaskPatch, Invalid> ParsePatch(std::string_view body);
std::variant<ListQuery, Invalid> ParseListQuery(const http::Request& request);

}  // namespace keel::tasks
