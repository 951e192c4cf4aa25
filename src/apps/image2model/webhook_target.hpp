// Where a batch's completion webhook may go: an http(s) URL without credentials in it. Whether its address
// is one the server may reach (no loopback, private or link-local address unless image2model.webhook_allow
// lists it) is checked again at each delivery, when the name is resolved, so a name cannot be re-pointed
// after the check.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keel::image2model {

// nullopt when `url` may be a webhook target; otherwise what is wrong with it.
std::optional<std::string> CheckWebhookUrl(std::string_view url);

}  // namespace keel::image2model
