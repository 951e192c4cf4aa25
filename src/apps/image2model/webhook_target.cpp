#include "apps/image2model/webhook_target.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>

namespace keel::image2model {

namespace {

constexpr std::size_t kMaxUrl = 2048;

// Where a server must not be sent by a user's URL: this host, private networks, link-local (cloud metadata
// services live at 169.254.169.254), carrier-grade NAT, multicast and unspecified addresses.
const http::TrustedProxies& Forbidden() {
  static const http::TrustedProxies forbidden =
      http::TrustedProxies::Parse({"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
                                   "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3",
                                   "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8"})
          .value();
  return forbidden;
}

// The host of an http(s) URL that passed CheckWebhookUrl, without brackets.
std::string HostOf(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.starts_with('[')) return std::string(authority.substr(1, authority.find(']') - 1));
  return std::string(authority.substr(0, authority.find(':')));
}

}  // namespace

std::optional<std::string> CheckWebhookUrl(std::string_view url) {
  if (url.size() > kMaxUrl) return "must be at most 2048 characters";
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return "must not contain spaces or control characters";
  std::string_view rest;
  if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return "must be an http:// or https:// URL";
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return "must not carry credentials (user@host)";
  std::string_view host = authority;
  if (host.starts_with('[')) {
    auto close = host.find(']');
    if (close == std::string_view::npos) return "has an unclosed [IPv6] host";
    host = host.substr(0, close + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty() || host == "[]") return "must name a host";
  return std::nullopt;
}

std::optional<std::string> RefusedAddressLiteral(std::string_view url, const http::TrustedProxies& allowed) {
  if (CheckWebhookUrl(url)) return std::nullopt;  // reported as malformed instead
  std::string host = HostOf(url);
  unsigned char bytes[16];
  bool literal =
      ::inet_pton(AF_INET, host.c_str(), bytes) == 1 || ::inet_pton(AF_INET6, host.c_str(), bytes) == 1;
  if (!literal || !Forbidden().Contains(host) || allowed.Contains(host)) return std::nullopt;
  return fmt::format(
      "{} is a loopback, private or link-local address (image2model.webhook_allow does not list it)", host);
}

Result<std::string> ResolveWebhookAddress(std::string_view url, const http::TrustedProxies& allowed) {
  if (auto problem = CheckWebhookUrl(url))
    return Error{ErrorCode::kInvalidArgument, "webhook_url " + *problem};
  std::string host = HostOf(url);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0)
    return Error{ErrorCode::kUnavailable, fmt::format("cannot resolve {}: {}", host, gai_strerror(error))};
  std::vector<std::string> addresses;
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        at->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(at->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(at->ai_addr)->sin6_addr);
    if (::inet_ntop(at->ai_family, raw, text, sizeof(text)) != nullptr) addresses.emplace_back(text);
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) return Error{ErrorCode::kUnavailable, fmt::format("{} has no address", host)};
  for (const std::string& address : addresses)
    if (Forbidden().Contains(address) && !allowed.Contains(address))
      return Error{ErrorCode::kPermissionDenied,
                   fmt::format("webhook target {} resolves to {}, a loopback, private or link-local address "
                               "(image2model.webhook_allow does not list it)",
                               host, address)};
  return addresses.front();
}

}  // namespace keel::image2model
