// PropertyAI (seed 000) on Keel: house price predictions from the served `property` model, cached, batched
// and logged; the model catalog; stats over the prediction log; operator reloads.
#pragma once

#include "core/result.hpp"

namespace keel {
class App;
}

namespace keel::property {

// Adds the routes, the model server and prediction-log services, the /ready check and the log's retention
// job. kInvalidArgument when the ml.* config does not parse.
Result<void> RegisterProperty(App& app);

}  // namespace keel::property
