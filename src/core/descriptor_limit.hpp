// The process's open-file limit: a server holding many idle keep-alive connections needs a descriptor for
// each, and the soft limit a shell hands down (often 1,024) is far below what the hard limit allows.
#pragma once

#include <cstdint>

#include "core/result.hpp"

namespace keel {

struct DescriptorLimit {
  std::uint64_t before = 0;  // the soft limit found
  std::uint64_t after = 0;   // the soft limit now
  std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (to kMaxDescriptors when the hard limit is unlimited).
inline constexpr std::uint64_t kMaxDescriptors = 1 << 20;
Result<DescriptorLimit> RaiseDescriptorLimit();

}  // namespace keel
