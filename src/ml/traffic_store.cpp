// TrafficStore: the upsert that numbers revisions, and the read of every plan.
#include "ml/traffic_store.hpp"

#include <fmt/format.h>

#include "storage/sql/database.hpp"

namespace keel::ml {
namespace {

// The plan column's value. Outside the coroutine: g++ 12 destroys a conditional's temporaries twice inside
// one.
sql::Value PlanText(const std::optional<TrafficPlan>& plan) {
  if (!plan) return sql::Value();
  return sql::Value(plan->ToJson().dump());
}

}  // namespace

Task<Result<StoredTraffic>> TrafficStore::Save(std::string model, std::optional<TrafficPlan> plan,
                                               std::int64_t now_ms) {
  sql::Value text = PlanText(plan);
  // One statement: two instances saving at once get consecutive revisions, never the same one.
  auto rows = co_await db_.Write(
      "INSERT INTO model_traffic (model, plan, revision, updated_at) VALUES (?, ?, 1, ?) "
      "ON CONFLICT (model) DO UPDATE SET plan = excluded.plan, revision = model_traffic.revision + 1, "
      "updated_at = excluded.updated_at RETURNING revision",
      sql::Args(model, std::move(text), now_ms));
  if (!rows) co_return std::move(rows).error();
  StoredTraffic stored;
  stored.model = std::move(model);
  stored.plan = std::move(plan);
  stored.revision = rows->Int(0, 0).value_or(0);
  stored.updated_at_ms = now_ms;
  co_return stored;
}

Task<Result<std::vector<StoredTraffic>>> TrafficStore::All() {
  auto rows =
      co_await db_.Query("SELECT model, plan, revision, updated_at FROM model_traffic ORDER BY model");
  if (!rows) co_return std::move(rows).error();
  std::vector<StoredTraffic> all;
  all.reserve(rows->rows.size());
  for (std::size_t i = 0; i < rows->rows.size(); ++i) {
    StoredTraffic stored;
    stored.model = std::string(rows->Text(i, 0).value_or(""));
    stored.revision = rows->Int(i, 2).value_or(0);
    stored.updated_at_ms = rows->Int(i, 3).value_or(0);
    if (auto text = rows->Text(i, 1)) {
      auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
      auto parsed = TrafficPlan::Parse(json);
      if (auto* plan = std::get_if<TrafficPlan>(&parsed)) {
        stored.plan = std::move(*plan);
      } else {
        const auto& errors = std::get<std::vector<http::FieldError>>(parsed);
        stored.problem = fmt::format("the stored plan does not parse ({}: {})", errors.front().field,
                                     errors.front().message);
      }
    }
    all.push_back(std::move(stored));
  }
  co_return all;
}

}  // namespace keel::ml
