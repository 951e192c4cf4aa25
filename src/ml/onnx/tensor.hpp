// The values an ONNX graph computes with: a typed, shaped, row-major block. Every numeric element type is
// held as double (exact for float, every integer an ONNX model uses for shapes and labels, and the
// precision scikit-learn computes in); Conform rounds a kernel's results to what its element type holds.
//
// Thread safety: a plain value; share it only for reading.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::ml::onnx {

// TensorProto.DataType's numbering.
enum class ElementType : int {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
};

std::string_view ElementTypeName(ElementType type);
// The types Keel computes with: FLOAT, DOUBLE, the integers and BOOL (not FLOAT16, BFLOAT16, complex).
bool IsSupportedNumeric(ElementType type);
bool IsFloating(ElementType type);
// What `value` becomes when stored as `type`: float's rounding, an integer's truncation toward zero and
// wrap-around, bool's 0 or 1.
double ConformValue(ElementType type, double value);

struct Tensor {
  ElementType type = ElementType::kFloat;
  std::vector<std::int64_t> shape;   // empty: a scalar
  std::vector<double> values;        // numeric types, row-major
  std::vector<std::string> strings;  // kString, row-major

  // A zero-filled tensor.
  static Tensor Zeros(ElementType type, std::vector<std::int64_t> shape);
  // The number of elements the shape holds.
  std::size_t Elements() const;
  // Rounds every value to what `type` holds.
  void Conform();
  // "FLOAT[3,4]", for error messages.
  std::string Describe() const;
};

// The most elements a tensor may have (2 GiB of doubles): a model that declares or computes more is refused
// rather than allowed to exhaust memory.
constexpr std::size_t kMaxElements = std::size_t{1} << 28;

// The number of elements of `shape`, or kMaxElements + 1 for any number beyond kMaxElements (the product
// never overflows).
std::size_t ElementsOf(const std::vector<std::int64_t>& shape);

}  // namespace keel::ml::onnx
