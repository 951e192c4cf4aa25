// Resolving the client address through trusted proxies.
#include "http/client_ip.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace keel::http {
namespace {

struct Address {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
  bool mapped = false;  // written as IPv6 (::ffff:a.b.c.d), kept as its IPv4 address
};

std::optional<Address> ParseAddress(std::string_view text) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (text.empty() || text.size() >= sizeof buffer) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  Address address;
  if (::inet_pton(AF_INET, buffer, address.bytes.data()) == 1) {
    address.v4 = true;
    return address;
  }
  if (::inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(address.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    std::memmove(address.bytes.data(), address.bytes.data() + 12, 4);
    std::memset(address.bytes.data() + 4, 0, 12);
    address.v4 = true;
    address.mapped = true;
  }
  return address;
}

bool PrefixMatches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, int bits) {
  int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<std::size_t>(whole)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies trusted;
  for (const std::string& entry : entries) {
    std::string_view text = TrimSpace(entry);
    auto slash = text.find('/');
    auto address = ParseAddress(text.substr(0, slash));
    // A mapped network is written with an IPv6 prefix (::ffff:10.0.0.0/104): at least the 96 mapping bits.
    int min_bits = address && address->mapped ? 96 : 0;
    int max_bits = address && address->v4 && !address->mapped ? 32 : 128;
    int bits = max_bits;
    bool valid = address.has_value();
    if (valid && slash != std::string_view::npos) {
      std::string_view digits = text.substr(slash + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
      valid = !digits.empty() && digits.front() >= '0' && digits.front() <= '9' && ec == std::errc() &&
              end == digits.data() + digits.size() && bits >= min_bits && bits <= max_bits;
    }
    if (valid && address->mapped) bits -= 96;
    if (!valid)
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("server.trusted_proxies: \"{}\" is not an IP address or a network in CIDR "
                               "notation (10.0.0.0/8, fd00::/8)",
                               entry)};
    trusted.networks_.push_back(Network{address->bytes, bits, address->v4});
  }
  return trusted;
}

bool TrustedProxies::Contains(std::string_view text) const {
  if (networks_.empty()) return false;
  auto address = ParseAddress(text);
  if (!address) return false;
  for (const Network& network : networks_)
    if (network.v4 == address->v4 && PrefixMatches(network.bytes, address->bytes, network.prefix_bits))
      return true;
  return false;
}

std::string ClientIp(const Request& request, const TrustedProxies& trusted_proxies) {
  if (!trusted_proxies.Contains(request.remote_address)) return request.remote_address;
  if (auto forwarded = request.headers.Get("X-Forwarded-For")) {
    // Walk from the right: each trusted hop vouches for the address before it.
    std::string_view list = *forwarded;
    while (!list.empty()) {
      auto comma = list.rfind(',');
      auto hop = TrimSpace(comma == std::string_view::npos ? list : list.substr(comma + 1));
      if (!hop.empty() && !trusted_proxies.Contains(hop)) {
        // Only an address becomes the client's: anything else would let a sender name its own rate-limit key.
        return ParseAddress(hop) ? std::string(hop) : request.remote_address;
      }
      if (comma == std::string_view::npos) break;
      list = list.substr(0, comma);
    }
  }
  if (auto real = request.headers.Get("X-Real-IP"); real && ParseAddress(TrimSpace(*real)))
    return std::string(TrimSpace(*real));
  return request.remote_address;
}

}  // namespace keel::http
