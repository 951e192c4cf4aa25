#include "apps/image2model/webhook_target.hpp"

#include <algorithm>

namespace keel::image2model {

namespace {

constexpr std::size_t kMaxUrl = 2048;

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

}  // namespace keel::image2model
