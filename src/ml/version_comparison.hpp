// GET /api/v1/models/{name}/compare: each version's predictions over a recent window, from the prediction
// log, side by side — count, share of the served requests' rows, mean and p50/p95 of the predictions and of
// the latency, cache hit ratio — so a team can promote or roll back a version with its traffic plan. Served
// and shadow rows are separate entries. Read from the prediction rollups (ml/prediction_rollups.hpp): whole
// minutes, exact counts, means and shares, percentiles within 1%. Rows still queued in the log writer (at
// most ml.log_flush_ms old) are not counted yet.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::sql {
class Database;
}

namespace keel::ml {

// "15m", "1h", "7d": 1 minute to 30 days. nullopt for anything else.
std::optional<std::chrono::seconds> ParsePredictionWindow(std::string_view text);

// Versions with the most rows first, at most kMaxComparedVersions of them ("truncated" says when more had
// rows).
inline constexpr std::int64_t kMaxComparedVersions = 20;

// The comparison of `model`'s versions over the window ending at now_ms (Unix ms).
Task<Result<nlohmann::ordered_json>> CompareVersions(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms);

}  // namespace keel::ml
