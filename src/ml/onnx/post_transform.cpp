// The post transforms, with ONNX Runtime's formulas (onnxruntime/core/providers/cpu/ml/ml_common.h).
#include "ml/onnx/post_transform.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace keel::ml::onnx {

std::optional<PostTransform> ParsePostTransform(std::string_view name) {
  if (name == "NONE") return PostTransform::kNone;
  if (name == "LOGISTIC") return PostTransform::kLogistic;
  if (name == "SOFTMAX") return PostTransform::kSoftmax;
  if (name == "SOFTMAX_ZERO") return PostTransform::kSoftmaxZero;
  if (name == "PROBIT") return PostTransform::kProbit;
  return std::nullopt;
}

double Logistic(double value) {
  double v = 1 / (1 + std::exp(-std::abs(value)));
  return value < 0 ? 1 - v : v;
}

namespace {

// Winitzki's approximation of erf⁻¹ with a = 0.147, the one ONNX Runtime uses.
double ErfInv(double x) {
  double sign = x < 0 ? -1.0 : 1.0;
  x = (1 - x) * (1 + x);
  double log = std::log(x);
  double v = 2 / (3.14159 * 0.147) + 0.5 * log;
  double v2 = 1 / 0.147 * log;
  double v3 = -v + std::sqrt(v * v - v2);
  return sign * std::sqrt(v3);
}

void Softmax(std::span<double> scores) {
  double top = -std::numeric_limits<double>::infinity();
  for (double s : scores) top = std::max(top, s);
  double sum = 0;
  for (double& s : scores) sum += s = std::exp(s - top);
  for (double& s : scores) s /= sum;
}

// Softmax over the non-zero scores; a zero score stays (almost) zero.
void SoftmaxZero(std::span<double> scores) {
  double top = -std::numeric_limits<double>::max();
  for (double s : scores) top = std::max(top, s);
  double exp_neg_top = std::exp(-top);
  double sum = 0;
  for (double& s : scores) {
    if (s > 0.0000001 || s < -0.0000001) {
      s = std::exp(s - top);
      sum += s;
    } else {
      s *= exp_neg_top;
    }
  }
  for (double& s : scores) s /= sum;
}

}  // namespace

double Probit(double value) { return std::sqrt(2.0) * ErfInv(2 * value - 1); }

void ApplyPostTransform(PostTransform transform, std::span<double> scores) {
  switch (transform) {
    case PostTransform::kNone:
      return;
    case PostTransform::kLogistic:
      for (double& s : scores) s = Logistic(s);
      return;
    case PostTransform::kProbit:
      for (double& s : scores) s = Probit(s);
      return;
    case PostTransform::kSoftmax:
      Softmax(scores);
      return;
    case PostTransform::kSoftmaxZero:
      SoftmaxZero(scores);
      return;
  }
}

}  // namespace keel::ml::onnx
