// The ml section: the model registry, batching, the prediction cache and the prediction log.
#pragma once

#include "core/config.hpp"

namespace keel::ml {

// The ml.* keys, in documentation order.
ConfigSchema ConfigKeys();

}  // namespace keel::ml
