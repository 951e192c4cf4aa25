// Resolving the client address through trusted proxies.
#include "http/client_ip.hpp"

#include <algorithm>

namespace keel::http {
namespace {

bool Trusted(std::string_view address, const std::vector<std::string>& trusted) {
  return std::find(trusted.begin(), trusted.end(), address) != trusted.end();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ClientIp(const Request& request, const std::vector<std::string>& trusted_proxies) {
  if (!Trusted(request.remote_address, trusted_proxies)) return request.remote_address;
  if (auto forwarded = request.headers.Get("X-Forwarded-For")) {
    // Walk from the right: each trusted hop vouches for the address before it.
    std::string_view list = *forwarded;
    while (!list.empty()) {
      auto comma = list.rfind(',');
      auto hop = Trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
      if (!hop.empty() && !Trusted(hop, trusted_proxies)) return std::string(hop);
      if (comma == std::string_view::npos) break;
      list = list.substr(0, comma);
    }
  }
  if (auto real = request.headers.Get("X-Real-IP"); real && !Trim(*real).empty())
    return std::string(Trim(*real));
  return request.remote_address;
}

}  // namespace keel::http
