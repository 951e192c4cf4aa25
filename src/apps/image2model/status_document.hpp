// The JSON a client reads of a batch: the status document (GET /api/v1/status/{job_id}, its event stream and
// the webhook), and the shorter entry of the batch list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apps/image2model/batch_store.hpp"

namespace keel::image2model {

std::string StatusUrl(std::string_view batch_id);

// now_ms decides which results have expired (their links are then null and "expired" true).
nlohmann::json StatusDocument(const BatchRecord& batch, std::optional<std::int64_t> queue_position,
                              std::int64_t now_ms);
nlohmann::json BatchSummary(const BatchRecord& batch);

// Mean progress over the files, finished files counting 100.
std::int64_t BatchProgress(const BatchRecord& batch);

}  // namespace keel::image2model
