// RaiseDescriptorLimit: getrlimit, then setrlimit of the soft limit only.
#include "core/descriptor_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace keel {

Result<DescriptorLimit> RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return Error{ErrorCode::kInternal, std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
  DescriptorLimit result;
  result.before = limit.rlim_cur;
  result.hard = limit.rlim_max == RLIM_INFINITY ? kMaxDescriptors : limit.rlim_max;
  const rlim_t wanted = static_cast<rlim_t>(std::max<std::uint64_t>(result.before, result.hard));
  if (wanted != limit.rlim_cur) {
    limit.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
      return Error{ErrorCode::kInternal, std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
  }
  result.after = wanted;
  return result;
}

}  // namespace keel
