// ResolveHost: which connection strings need a lookup, and the lookup on Asio's resolver with a deadline.
#include "storage/sql/postgres/pg_resolve.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/log.hpp"

namespace keel::sql::pg {
namespace {

namespace asio = boost::asio;

struct HostAndPort {
  std::string host;
  std::string port;
};

bool IsAddress(const std::string& host) {
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  return !not_an_address;
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
  // getaddrinfo() cannot be interrupted (cancelling the resolver only drops a lookup not yet started), so the
  // deadline races the lookup: whichever comes first answers, and a lookup that loses finishes on the
  // resolver's thread with nobody waiting. The handlers own what they touch.
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
  auto timer = std::make_shared<asio::steady_timer>(executor, deadline);
  auto answered = std::make_shared<std::atomic<bool>>(false);
  struct Lookup {
    boost::system::error_code error;
    asio::ip::tcp::resolver::results_type results;
  };
  const std::function<void(std::function<void(Lookup)>)> start = [&](std::function<void(Lookup)> deliver) {
    timer->async_wait([answered, deliver](const boost::system::error_code& ec) {
      if (ec || answered->exchange(true)) return;
      deliver(Lookup{asio::error::timed_out, {}});
    });
    resolver->async_resolve(
        target->host, target->port,
        [answered, deliver, timer, resolver](const boost::system::error_code& ec,
                                             asio::ip::tcp::resolver::results_type found) {
          if (answered->exchange(true)) return;
          timer->cancel();
          deliver(Lookup{ec, std::move(found)});
        });
  };
  Lookup lookup = co_await AwaitCallback<Lookup>(start);
  const auto& results = lookup.results;
  if (lookup.error || results.empty()) {
    log::Warn("cannot resolve the database host",
              log::Fields()
                  .Add("host", target->host)
                  .Add("error", lookup.error ? lookup.error.message() : "no address"));
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
