// The client's address: the peer's, unless the peer is a trusted proxy (nginx in the scaled-out topology), in
// which case X-Forwarded-For (rightmost address not itself a trusted proxy) or X-Real-IP.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace keel::http {

// server.trusted_proxies: addresses and networks whose forwarding headers are believed. Kubernetes ingress
// pods and compose containers get addresses from a range, hence networks.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Each entry an IPv4 or IPv6 address ("10.0.0.7", "::1") or a network in CIDR notation ("10.0.0.0/8",
  // "fd00::/8"); the error names the first entry that is neither.
  static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);

  // An IPv4-mapped IPv6 address ("::ffff:10.0.0.7") counts as its IPv4 address; text that is no address
  // is never trusted.
  bool Contains(std::string_view address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
    int prefix_bits = 0;
    bool v4 = false;
  };
  std::vector<Network> networks_;
};

// A client cannot choose its own address by sending the headers: they are read only from trusted peers.
std::string ClientIp(const Request& request, const TrustedProxies& trusted_proxies);

}  // namespace keel::http
