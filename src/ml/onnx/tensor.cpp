// Tensor: element types, conforming values to them, and descriptions.
#include "ml/onnx/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace keel::ml::onnx {

std::string_view ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
      return "FLOAT";
    case ElementType::kUint8:
      return "UINT8";
    case ElementType::kInt8:
      return "INT8";
    case ElementType::kUint16:
      return "UINT16";
    case ElementType::kInt16:
      return "INT16";
    case ElementType::kInt32:
      return "INT32";
    case ElementType::kInt64:
      return "INT64";
    case ElementType::kString:
      return "STRING";
    case ElementType::kBool:
      return "BOOL";
    case ElementType::kFloat16:
      return "FLOAT16";
    case ElementType::kDouble:
      return "DOUBLE";
    case ElementType::kUint32:
      return "UINT32";
    case ElementType::kUint64:
      return "UINT64";
    case ElementType::kUndefined:
      break;
  }
  return "UNSUPPORTED";
}

bool IsSupportedNumeric(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
    case ElementType::kDouble:
    case ElementType::kUint8:
    case ElementType::kInt8:
    case ElementType::kUint16:
    case ElementType::kInt16:
    case ElementType::kInt32:
    case ElementType::kInt64:
    case ElementType::kUint32:
    case ElementType::kUint64:
    case ElementType::kBool:
      return true;
    default:
      return false;
  }
}

bool IsFloating(ElementType type) { return type == ElementType::kFloat || type == ElementType::kDouble; }

namespace {

// An integer of `bits` bits, signed or not, as C++'s conversion of the truncated value stores it.
double Wrapped(double value, int bits, bool is_signed) {
  if (!std::isfinite(value)) return 0;
  double truncated = std::trunc(value);
  double span = std::ldexp(1.0, bits);
  double wrapped = std::fmod(truncated, span);
  if (wrapped < 0) wrapped += span;
  if (is_signed && wrapped >= span / 2) wrapped -= span;
  return wrapped;
}

}  // namespace

double ConformValue(ElementType type, double value) {
  switch (type) {
    case ElementType::kFloat:
      return static_cast<double>(static_cast<float>(value));
    case ElementType::kBool:
      return value != 0 ? 1 : 0;
    case ElementType::kUint8:
      return Wrapped(value, 8, false);
    case ElementType::kInt8:
      return Wrapped(value, 8, true);
    case ElementType::kUint16:
      return Wrapped(value, 16, false);
    case ElementType::kInt16:
      return Wrapped(value, 16, true);
    case ElementType::kInt32:
      return Wrapped(value, 32, true);
    case ElementType::kUint32:
      return Wrapped(value, 32, false);
    // 64-bit integers past 2^53 are beyond what Keel's models use (shapes, labels, counts).
    case ElementType::kInt64:
    case ElementType::kUint64:
      return std::isfinite(value) ? std::trunc(value) : 0;
    default:
      return value;
  }
}

std::size_t ElementsOf(const std::vector<std::int64_t>& shape) {
  std::size_t elements = 1;
  bool beyond = false;
  for (auto dim : shape) {
    if (dim <= 0) return 0;
    if (static_cast<std::size_t>(dim) > kMaxElements)
      beyond = true;
    else
      elements = std::min(elements * static_cast<std::size_t>(dim), kMaxElements + 1);
  }
  return beyond ? kMaxElements + 1 : elements;
}

Tensor Tensor::Zeros(ElementType type, std::vector<std::int64_t> shape) {
  Tensor tensor;
  tensor.type = type;
  tensor.shape = std::move(shape);
  if (type == ElementType::kString)
    tensor.strings.resize(ElementsOf(tensor.shape));
  else
    tensor.values.assign(ElementsOf(tensor.shape), 0.0);
  return tensor;
}

std::size_t Tensor::Elements() const { return ElementsOf(shape); }

void Tensor::Conform() {
  if (type == ElementType::kDouble) return;
  for (auto& value : values) value = ConformValue(type, value);
}

std::string Tensor::Describe() const {
  return fmt::format("{}[{}]", ElementTypeName(type), fmt::join(shape, ","));
}

}  // namespace keel::ml::onnx
