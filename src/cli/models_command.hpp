// `keel models import`: an ONNX model trained elsewhere into the registry (ml.model_dir) as a new version.
#pragma once

#include "core/config.hpp"
#include "ml/model_importer.hpp"

namespace keel::cli {

// Returns the exit code: 0 with the new version's meta on stdout, 1 with the reason on stderr.
int ImportModel(const Config& config, ml::ImportRequest request);

}  // namespace keel::cli
