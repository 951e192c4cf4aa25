// The post transforms of ai.onnx.ml's classifiers and regressors (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO,
// PROBIT), computed as ONNX Runtime computes them, so a converted model's scores match what its users saw.
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace keel::ml::onnx {

enum class PostTransform { kNone, kLogistic, kSoftmax, kSoftmaxZero, kProbit };

std::optional<PostTransform> ParsePostTransform(std::string_view name);

double Logistic(double value);
// ONNX Runtime's probit: sqrt(2) times its approximation of erf⁻¹(2v - 1).
double Probit(double value);
// Applies `transform` to one row of scores in place (LOGISTIC and PROBIT elementwise, the softmaxes over the
// row).
void ApplyPostTransform(PostTransform transform, std::span<double> scores);

}  // namespace keel::ml::onnx
