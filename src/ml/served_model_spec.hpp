// Which models a server serves and how: parsed from ml.models ("name" or "name@version" to pin a version) and
// ml.batching ("name:max_batch:max_delay_us", overriding ml.max_batch and ml.max_delay_us for one model).
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "ml/batcher.hpp"

namespace keel::ml {

struct ServedModelSpec {
  std::string name;
  std::string pinned;  // empty: the newest valid version
  BatcherOptions batching;
};

// kInvalidArgument naming the bad entry: an empty or repeated name, a name outside [a-z0-9_-], a batching
// entry for a model not served, max_batch outside 1..4096, max_delay_us outside 0..1,000,000.
Result<std::vector<ServedModelSpec>> ParseServedModels(const std::vector<std::string>& models,
                                                       const std::vector<std::string>& batching,
                                                       BatcherOptions defaults);

}  // namespace keel::ml
