// The traffic plans' table (model_traffic): every instance reads the plans from here, so a plan set through
// any instance reaches all of them, and survives restarts.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"
#include "ml/traffic_plan.hpp"

namespace keel::sql {
class Database;
}

namespace keel::ml {

struct StoredTraffic {
  std::string model;
  std::optional<TrafficPlan> plan;  // none: cleared (the newest valid version serves), or `problem`
  std::string problem;              // set: the stored plan does not parse (written by a newer Keel?)
  std::int64_t revision = 0;        // rises by one at every change of this model's plan
  std::int64_t updated_at_ms = 0;
};

class TrafficStore {
 public:
  explicit TrafficStore(sql::Database& db) : db_(db) {}

  // Stores `plan` (none clears it) as the model's next revision and returns the row as stored.
  Task<Result<StoredTraffic>> Save(std::string model, std::optional<TrafficPlan> plan, std::int64_t now_ms);

  // Every model's row, cleared ones and those whose plan does not parse (`problem`) included.
  Task<Result<std::vector<StoredTraffic>>> All();

 private:
  sql::Database& db_;
};

}  // namespace keel::ml
