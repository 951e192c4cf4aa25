// The client's address: the peer's, unless the peer is a trusted proxy (nginx in the scaled-out topology), in
// which case X-Forwarded-For (rightmost address not itself a trusted proxy) or X-Real-IP.
#pragma once

#include <string>
#include <vector>

#include "http/message.hpp"

namespace keel::http {

// A client cannot choose its own address by sending the headers: they are read only from trusted peers.
std::string ClientIp(const Request& request, const std::vector<std::string>& trusted_proxies);

}  // namespace keel::http
