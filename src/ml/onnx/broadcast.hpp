// Numpy's multidirectional broadcasting, as ONNX's elementwise operators and Gemm's C apply it.
//
// Thread safety: pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "ml/onnx/tensor.hpp"

namespace keel::ml::onnx {

// The shape `a` and `b` broadcast to, or nothing when a dimension differs and neither is 1.
inline std::optional<std::vector<std::int64_t>> BroadcastShape(const std::vector<std::int64_t>& a,
                                                               const std::vector<std::int64_t>& b) {
  std::size_t rank = std::max(a.size(), b.size());
  std::vector<std::int64_t> shape(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    shape[i] = da == 1 ? db : da;
  }
  return shape;
}

// The strides of `shape` read as `out`'s rank, 0 along the dimensions it broadcasts.
inline std::vector<std::size_t> BroadcastStrides(const std::vector<std::int64_t>& shape,
                                                 const std::vector<std::int64_t>& out) {
  std::vector<std::size_t> strides(out.size(), 0);
  std::size_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    std::size_t axis = i + (out.size() - shape.size());
    strides[axis] = shape[i] == 1 ? 0 : stride;
    stride *= static_cast<std::size_t>(shape[i]);
  }
  return strides;
}

// out[i] = f(a[ai], b[bi]) over the broadcast shape `shape` (from BroadcastShape), into `out`'s values.
template <class F>
void BroadcastApply(const std::vector<double>& a, const std::vector<std::int64_t>& a_shape,
                    const std::vector<double>& b, const std::vector<std::int64_t>& b_shape,
                    const std::vector<std::int64_t>& shape, std::vector<double>& out, F f) {
  std::size_t total = ElementsOf(shape);
  out.resize(total);
  if (a.size() == total && b.size() == total) {
    for (std::size_t i = 0; i < total; ++i) out[i] = f(a[i], b[i]);
    return;
  }
  if (b.size() == 1 && a.size() == total) {
    for (std::size_t i = 0; i < total; ++i) out[i] = f(a[i], b[0]);
    return;
  }
  if (a.size() == 1 && b.size() == total) {
    for (std::size_t i = 0; i < total; ++i) out[i] = f(a[0], b[i]);
    return;
  }
  if (total == 0) return;
  auto a_strides = BroadcastStrides(a_shape, shape);
  auto b_strides = BroadcastStrides(b_shape, shape);
  std::vector<std::int64_t> index(shape.size(), 0);
  std::size_t ai = 0, bi = 0;
  for (std::size_t i = 0; i < total; ++i) {
    out[i] = f(a[ai], b[bi]);
    // The next index, last axis fastest, moving the offsets with it.
    for (std::size_t axis = shape.size(); axis-- > 0;) {
      if (++index[axis] < shape[axis]) {
        ai += a_strides[axis];
        bi += b_strides[axis];
        break;
      }
      ai -= a_strides[axis] * static_cast<std::size_t>(shape[axis] - 1);
      bi -= b_strides[axis] * static_cast<std::size_t>(shape[axis] - 1);
      index[axis] = 0;
    }
  }
}

}  // namespace keel::ml::onnx
