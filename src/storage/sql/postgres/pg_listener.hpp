// PgListener: LISTEN on one channel over a connection and a thread of its own, calling back for every
// notification, reconnecting with back-off when the connection drops.
//
// It needs a session of its own for as long as it listens: give it database.direct_url, never pgBouncer in
// transaction mode (which hands the server connection, and with it the LISTEN, to other clients).
// Notifications sent while it is disconnected are lost: after every (re)connect it calls on_notify with an
// empty payload ("anything may have happened"), and callers keep a poll as the floor.
//
// Thread safety: the callback runs on the listener's thread; construct and destroy from one owner thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "storage/sql/database.hpp"

struct pg_conn;

namespace keel::sql {

class PgListener : public NotificationListener {
 public:
  using Callback = std::function<void(const std::string& payload)>;

  PgListener(std::string url, std::string channel, Callback on_notify);
  // RequestStop, then joins the thread. A connect or LISTEN under way finishes first: libpq's blocking calls
  // (connect_timeout 5 s per address; keepalives for a server that stops answering).
  ~PgListener() override;
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  bool Listening() const override { return listening_.load(); }
  // No more callbacks once it returns, except one already running; does not wait.
  void RequestStop() override;

 private:
  void Run();
  // One connection's life: connects, listens, delivers until the connection fails or Stop. True if it
  // got as far as listening (the back-off starts over).
  bool ListenOnce();
  // Sleeps up to `wait`; false once stopping.
  bool Pause(std::chrono::milliseconds wait);
  // Hands every notification libpq has buffered to on_notify.
  void Deliver(pg_conn* conn);

  const std::string url_;
  const std::string channel_;
  const Callback on_notify_;
  int stop_fd_ = -1;  // eventfd: wakes the thread's poll on Stop
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  bool failing_ = false;  // on the thread: the current outage was logged
  std::thread thread_;
};

}  // namespace keel::sql
