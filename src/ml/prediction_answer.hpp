// The answer to a prediction request, the same on every route that predicts (PropertyAI's, the platform's by
// model name): the body checked against the model's meta.json, predictions through the platform (cache,
// single-flight, batch), rounded, recorded in the prediction log, and answered with the model, its version,
// whether every value was cached, X-Cache and X-Model-Version. Formatted by hand: this is the hot path.
#pragma once

#include <memory>

#include "core/async.hpp"
#include "http/message.hpp"
#include "ml/model_platform.hpp"

namespace keel::ml {

// What the client is given for a raw prediction (cents for a price).
using Rounding = double (*)(double);

// REQUIRES: `model` is a loaded version; `request` outlives the returned task.
Task<http::Response> AnswerPrediction(ModelPlatform& models, std::shared_ptr<const LoadedModel> model,
                                      const http::Request& request, Rounding round);

}  // namespace keel::ml
