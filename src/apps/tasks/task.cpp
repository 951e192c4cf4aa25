// Task enums and JSON.
#include "apps/tasks/task.hpp"

#include <nlohmann/json.hpp>

namespace keel::tasks {

bool ValidStatus(std::string_view status) {
  return status == "todo" || status == "in_progress" || status == "done";
}

bool ValidPriority(std::string_view priority) { return PriorityRank(priority) != 0; }

int PriorityRank(std::string_view priority) {
  if (priority == "low") return 1;
  if (priority == "medium") return 2;
  if (priority == "high") return 3;
  return 0;
}

std::string TaskJson(const TaskRecord& task) {
  nlohmann::ordered_json json = {{"id", task.id},
                                 {"title", task.title},
                                 {"description", task.description},
                                 {"status", task.status},
                                 {"priority", task.priority},
                                 {"due_at", task.due_at ? nlohmann::ordered_json(*task.due_at) : nullptr},
                                 {"user_id", task.user_id},
                                 {"version", task.version},
                                 {"created_at", task.created_at},
                                 {"updated_at", task.updated_at}};
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string ETagOf(const TaskRecord& task) { return "\"v" + std::to_string(task.version) + "\""; }

}  // namespace keel::tasks
