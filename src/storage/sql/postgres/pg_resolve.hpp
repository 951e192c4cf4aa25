// Resolving the database host off the pool's reactor thread. Given a host name, PQconnectStartParams calls
// getaddrinfo() itself, blocking: on the reactor that thread serves every other connection's socket, so a
// slow DNS answer (Kubernetes' search domains, a resolver timing out) would stall every statement in flight
// while a new connection opens. Asio's resolver runs the lookup on its own thread instead; libpq then gets
// the addresses as `hostaddr` (and the name as `host`, which it still uses for authentication and TLS).
//
// Thread safety: a free function; its coroutine runs on the caller's executor.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::sql::pg {

using ConnectKeywords = std::vector<std::pair<std::string, std::string>>;

// The keywords to pass after the connection string: host repeated once per address and hostaddr listing the
// addresses (libpq tries them in order, as it would its own lookup's). None when there is nothing to resolve:
// no host (the default socket), a socket directory, an address, several hosts, or hostaddr already given.
// kUnavailable when the name does not resolve by `deadline`.
Task<Result<ConnectKeywords>> ResolveHost(const std::string& conninfo,
                                          std::chrono::steady_clock::time_point deadline);

}  // namespace keel::sql::pg
