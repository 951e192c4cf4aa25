// One Redis connection through hiredis's asynchronous API, driven by an Asio io_context: commands are
// pipelined on it, replies handed to callbacks. Reconnects by itself (with back-off) after Redis went away.
//
// Thread safety: none. Everything — construction, Send, destruction — runs on the io_context's one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "storage/kv/redis/redis_reply.hpp"

namespace boost::asio {
class io_context;
}

struct redisAsyncContext;

namespace keel::kv {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password{};  // AUTH when not empty
  int database = 0;        // SELECT when not 0
};

class RedisConnection {
 public:
  using Done = std::function<void(Result<RedisReply>)>;

  RedisConnection(boost::asio::io_context& io, RedisEndpoint endpoint, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // True once connected and answering; false while (re)connecting.
  bool Ready() const { return ready_; }
  // True once it has answered at least once (so not answering now means the node went away).
  bool EverReady() const { return ever_ready_; }
  const RedisEndpoint& endpoint() const { return endpoint_; }
  // Runs each time the connection answers again after it was lost (not the first time).
  void OnReconnect(std::function<void()> hook) { on_reconnect_ = std::move(hook); }

  // Sends one command. `done` runs exactly once on the io_context's thread: with the reply (an error reply is
  // a kInternal error), kUnavailable when not connected, or kTimeout when no reply came within the timeout.
  void Send(const std::vector<std::string>& args, Done done);

  using OnMessage = std::function<void(std::string channel, std::string message)>;
  // Makes this a subscriber connection: PSUBSCRIBE `pattern` once connected, and again after every reconnect;
  // on_message runs on the io_context's thread for each message to a matching channel, and on_subscribed each
  // time Redis confirms the subscription (after a reconnect, messages published meanwhile were missed). Redis
  // takes no other command on a subscribed connection, so use one for this alone.
  void SubscribePattern(std::string pattern, OnMessage on_message, std::function<void()> on_subscribed);

 private:
  struct Watch;      // the socket as Asio sees it
  struct Pending;    // one command waiting for its reply or its timeout
  struct Deadlines;  // the commands in flight and the one timer for their time-outs

  // Resolves the host off this thread when it is a name, then ConnectTo one of its addresses.
  void Connect();
  void ConnectTo(const std::string& address);
  void ScheduleReconnect();
  void OnConnected();
  // Closes the connection to connect again: `unanswered` when the server stopped answering.
  void Drop(bool unanswered);
  void OnDisconnected();
  void SendRaw(const std::vector<std::string>& args, Done done);
  // Arms the time-out timer for the oldest command in flight, unless armed already.
  void WatchDeadlines();
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);
  void SendSubscribe();
  static void OnPatternReply(redisAsyncContext* context, void* reply, void* privdata);

  boost::asio::io_context& io_;
  const RedisEndpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  redisAsyncContext* context_ = nullptr;  // null while disconnected; owned by hiredis, freed by it
  std::unique_ptr<Watch> watch_;
  static constexpr int kMaxTimeoutsInARow = 3;
  bool ready_ = false;
  int timeouts_in_a_row_ = 0;
  bool ever_ready_ = false;
  std::function<void()> on_reconnect_;
  std::string pattern_;  // empty: not a subscriber
  OnMessage on_message_;
  std::function<void()> on_subscribed_;
  std::chrono::milliseconds backoff_{100};
  std::size_t address_turn_ = 0;  // which of the host's addresses the next connect tries
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed: late handlers see it
  std::unique_ptr<Deadlines> deadlines_;
};

}  // namespace keel::kv
