// PgListener: a blocking libpq connection polled together with an eventfd, so Stop is prompt.
#include "storage/sql/postgres/pg_listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "core/log.hpp"
#include "storage/sql/postgres/pg_statement.hpp"

namespace keel::sql {
namespace {

constexpr auto kFirstRetry = std::chrono::milliseconds(200);
constexpr auto kMaxRetry = std::chrono::seconds(30);

}  // namespace

PgListener::PgListener(std::string url, std::string channel, Callback on_notify)
    : url_(std::move(url)), channel_(std::move(channel)), on_notify_(std::move(on_notify)) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  // Without its stop signal the thread could never be joined: no listener then, polling only.
  if (stop_fd_ < 0) {
    log::Error("cannot listen for notifications: no eventfd", log::Fields().Add("channel", channel_));
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

void PgListener::RequestStop() {
  if (stopping_.exchange(true) || stop_fd_ < 0) return;
  std::uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
}

PgListener::~PgListener() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void PgListener::Deliver(pg_conn* conn) {
  while (PGnotify* notify = PQnotifies(conn)) {
    std::string payload = notify->extra != nullptr ? notify->extra : "";
    PQfreemem(notify);
    if (!stopping_.load()) on_notify_(payload);
  }
}

bool PgListener::Pause(std::chrono::milliseconds wait) {
  pollfd stop{stop_fd_, POLLIN, 0};
  (void)::poll(&stop, 1, static_cast<int>(wait.count()));
  return !stopping_.load();
}

void PgListener::Run() {
  auto retry = std::chrono::milliseconds(kFirstRetry);
  while (!stopping_.load()) {
    if (ListenOnce()) retry = kFirstRetry;
    if (!Pause(retry)) break;
    retry = std::min<std::chrono::milliseconds>(retry * 2, kMaxRetry);
  }
}

bool PgListener::ListenOnce() {
  // Keepalives: a server that vanished without closing (a partition, a dead host) is noticed in about a
  // minute instead of the kernel's two hours; until then the poll covers for the silence.
  const char* keys[] = {"dbname",
                        "fallback_application_name",
                        "connect_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        nullptr};
  const char* values[] = {url_.c_str(), "keel-listen", "5", "30", "10", "3", nullptr};
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdbParams(keys, values, 1), PQfinish);
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    if (std::exchange(failing_, true)) return false;  // said once per outage, not at every retry
    log::Warn("cannot listen for notifications; retrying with back-off",
              log::Fields()
                  .Add("channel", channel_)
                  .Add("error", pg::WithoutPassword(pg::Trimmed(PQerrorMessage(conn.get())), url_)));
    return false;
  }
  std::unique_ptr<char, void (*)(void*)> quoted(
      PQescapeIdentifier(conn.get(), channel_.c_str(), channel_.size()), PQfreemem);
  std::unique_ptr<PGresult, void (*)(PGresult*)> listened(
      PQexec(conn.get(), fmt::format("LISTEN {}", quoted ? quoted.get() : "\"\"").c_str()), PQclear);
  if (PQresultStatus(listened.get()) != PGRES_COMMAND_OK) {
    log::Warn("LISTEN failed",
              log::Fields().Add("channel", channel_).Add("error", pg::Trimmed(PQerrorMessage(conn.get()))));
    return false;
  }
  listening_.store(true);
  failing_ = false;
  log::Info("listening for notifications", log::Fields().Add("channel", channel_));
  // Whatever was sent while no LISTEN stood is lost: let the caller look for itself. Then what arrived with
  // the LISTEN's answer, which no socket event will announce again.
  if (!stopping_.load()) on_notify_("");
  Deliver(conn.get());
  while (!stopping_.load()) {
    pollfd fds[2] = {{PQsocket(conn.get()), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) break;
    if (PQconsumeInput(conn.get()) == 0) {
      log::Warn("notification connection lost; reconnecting",
                log::Fields().Add("channel", channel_).Add("error", pg::Trimmed(PQerrorMessage(conn.get()))));
      break;
    }
    Deliver(conn.get());
  }
  listening_.store(false);
  return true;
}

}  // namespace keel::sql
