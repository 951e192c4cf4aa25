// ResolveHost: which connection strings need a lookup, and the lookup on Asio's resolver with a deadline.
#include "storage/sql/postgres/pg_resolve.hpp"

#include <arpa/inet.h>

#include <memory>
#include <optional>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"

namespace keel::sql::pg {
namespace {

namespace asio = boost::asio;

struct HostAndPort {
  std::string host;
  std::string port;
};

bool IsAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// The single host name to resolve, if the connection string has one.
std::optional<HostAndPort> NameToResolve(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return std::nullopt;  // libpq will report the malformed string itself
  }
  HostAndPort target;
  bool has_hostaddr = false;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') continue;
    std::string_view keyword = option->keyword;
    if (keyword == "host") target.host = option->val;
    if (keyword == "port") target.port = option->val;
    if (keyword == "hostaddr") has_hostaddr = true;
  }
  PQconninfoFree(options);
  if (target.host.empty() || has_hostaddr || target.host.front() == '/' || target.host.front() == '@' ||
      target.host.find(',') != std::string::npos || IsAddress(target.host))
    return std::nullopt;
  if (target.port.empty()) target.port = "5432";
  if (target.port.find(',') != std::string::npos) return std::nullopt;
  return target;
}

}  // namespace

Task<Result<ConnectKeywords>> ResolveHost(const std::string& conninfo,
                                          std::chrono::steady_clock::time_point deadline) {
  auto target = NameToResolve(conninfo);
  if (!target) co_return ConnectKeywords{};
  auto executor = co_await asio::this_coro::executor;
  // Shared with the deadline's handler, which may run after the lookup ended (cancel is then a no-op).
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
  asio::steady_timer timer(executor, deadline);
  timer.async_wait([resolver](const boost::system::error_code& ec) {
    if (!ec) resolver->cancel();
  });
  boost::system::error_code ec;
  auto results = co_await resolver->async_resolve(target->host, target->port,
                                                  asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (ec || results.empty()) {
    log::Warn("cannot resolve the database host",
              log::Fields().Add("host", target->host).Add("error", ec ? ec.message() : "no address"));
    co_return Error{ErrorCode::kUnavailable, "cannot resolve the database host"};
  }
  std::string hosts;
  std::string addresses;
  for (const auto& entry : results) {
    if (!addresses.empty()) {
      hosts += ',';
      addresses += ',';
    }
    hosts += target->host;
    addresses += entry.endpoint().address().to_string();
  }
  ConnectKeywords keywords;
  keywords.emplace_back("host", std::move(hosts));
  keywords.emplace_back("hostaddr", std::move(addresses));
  co_return keywords;
}

}  // namespace keel::sql::pg
