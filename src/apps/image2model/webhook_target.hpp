// Where a batch's completion webhook may go: an http(s) URL without credentials in it. Whether its address
// is one the server may reach (no loopback, private or link-local address unless image2model.webhook_allow
// lists it) is checked again at each delivery, when the name is resolved, so a name cannot be re-pointed
// after the check.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "http/client_ip.hpp"

namespace keel::image2model {

// nullopt when `url` may be a webhook target; otherwise what is wrong with it.
std::optional<std::string> CheckWebhookUrl(std::string_view url);

// For a URL whose host is an IP address: why it is refused (a forbidden address `allowed` does not hold),
// so an upload hears at once; nullopt otherwise. Names are resolved and checked at each delivery.
std::optional<std::string> RefusedAddressLiteral(std::string_view url, const http::TrustedProxies& allowed);

// The address a delivery to `url` connects to: the host resolved, and every address it has checked. Any
// loopback, private, link-local, multicast or unspecified address that `allowed` does not contain refuses
// the target (kPermissionDenied), so a name with one public and one private address is refused too.
// (`allowed` reuses the proxy list's address-and-network set.)
Result<std::string> ResolveWebhookAddress(std::string_view url, const http::TrustedProxies& allowed);

}  // namespace keel::image2model
