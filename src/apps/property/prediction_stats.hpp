// GET /api/v1/property/stats: what the prediction log says about a recent window — count, mean prediction,
// p50/p95 latency and cache hit ratio of the answers clients were given (a shadow version's rows are not
// counted: GET /api/v1/models/{name}/compare shows them). Read from the prediction rollups
// (ml/prediction_rollups.hpp): whole minutes, exact counts and means, percentiles within 1%, in the same time
// for any window and traffic. Rows still queued in the log writer (at most ml.log_flush_ms old) are not
// counted yet. Windows up to a day also list each minute's count and mean prediction (`per_minute`), for
// charts.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "core/result.hpp"
#include "storage/sql/database.hpp"

namespace keel::property {

inline constexpr std::chrono::seconds kPerMinuteWindow{86'400};

// The stats of `model` over the window ending now (Unix ms).
Task<Result<nlohmann::ordered_json>> PredictionStats(sql::Database& db, std::string model,
                                                     std::chrono::seconds window, std::int64_t now_ms);

}  // namespace keel::property
