// The Task API domain: a task (TaskRecord, as Task<T> is the coroutine type), its statuses, priorities and
// JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::tasks {

struct TaskRecord {
  std::string id;
  std::string user_id;
  std::string title;
  std::string description;
  std::string status;                 // todo | in_progress | done
  std::string priority;               // low | medium | high
  std::optional<std::string> due_at;  // RFC 3339 UTC
  std::int64_t version = 1;
  std::string created_at;
  std::string updated_at;
};

bool ValidStatus(std::string_view status);
bool ValidPriority(std::string_view priority);
// low 1, medium 2, high 3: the order "sort=priority" uses.
int PriorityRank(std::string_view priority);

std::string TaskJson(const TaskRecord& task);
// The entity tag of a task version: "v<version>" in quotes.
std::string ETagOf(const TaskRecord& task);

}  // namespace keel::tasks
