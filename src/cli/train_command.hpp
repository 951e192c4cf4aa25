// `keel train`: trains a new model version from a CSV into the registry (ml.model_dir), showing progress.
#pragma once

#include <string>

#include "core/config.hpp"
#include "ml/model_trainer.hpp"

namespace keel::cli {

// Returns the exit code: 0 with the new version's meta on stdout, 1 with the reason on stderr. With
// `if_missing`, a model that already has a version in the registry is left alone (exit 0, a note on stderr).
int Train(const Config& config, ml::TrainRequest request, bool if_missing = false);

}  // namespace keel::cli
