// RedisConnection: hiredis's event hooks on an Asio socket, reconnection, per-command timeouts.
#include "storage/kv/redis/redis_connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/log.hpp"

namespace keel::kv {

namespace asio = boost::asio;

namespace {

constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);
constexpr auto kWriteRetry = std::chrono::milliseconds(1);

RedisReply Copy(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = reply.type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : reply.type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                    : RedisReply::Type::kError;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (std::size_t i = 0; i < reply.elements; ++i) out.elements.push_back(Copy(*reply.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace

// hiredis asks for read and write interest through these hooks; Asio tells when the socket is ready. Reads
// use a one-byte peek rather than a readiness wait: Asio's reactor is edge-triggered and hiredis reads once
// per call, so only a peek notices bytes that are already waiting.
struct RedisConnection::Watch {
  Watch(asio::io_context& io, redisAsyncContext* context) : context(context), socket(io), write_timer(io) {}

  redisAsyncContext* context;
  asio::generic::stream_protocol::socket socket;
  asio::steady_timer write_timer;
  bool reading = false;
  bool writing = false;
  bool read_armed = false;
  bool write_scheduled = false;
  char peek = 0;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // false once hiredis cleaned up

  bool Attach() {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    int fd = context->c.fd;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
    int family = address.ss_family;
    boost::system::error_code ec;
    socket.assign(asio::generic::stream_protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP), fd, ec);
    return !ec;
  }

  void ArmRead() {
    if (read_armed || !reading || !*alive) return;
    read_armed = true;
    socket.async_receive(asio::buffer(&peek, 1), asio::socket_base::message_peek,
                         [this, alive = alive](const boost::system::error_code& ec, std::size_t) {
                           if (!*alive) return;
                           read_armed = false;
                           if (ec == asio::error::operation_aborted || !reading) return;
                           redisAsyncHandleRead(context);  // EOF and errors: hiredis disconnects
                           if (*alive) ArmRead();
                         });
  }

  void ScheduleWrite(std::chrono::milliseconds delay) {
    if (write_scheduled || !writing || !*alive) return;
    write_scheduled = true;
    auto flush = [this, alive = alive] {
      if (!*alive) return;
      write_scheduled = false;
      if (!writing) return;
      pollfd probe{context->c.fd, POLLOUT, 0};
      if (::poll(&probe, 1, 0) != 0) redisAsyncHandleWrite(context);  // connects, then flushes
      if (*alive && writing) ScheduleWrite(kWriteRetry);              // a full socket buffer: look again soon
    };
    // A write wanted now is posted, not put on a zero timer: a timer that becomes the earliest reprograms the
    // reactor's timerfd when armed and again when it fires, and those two syscalls took 37% of the Redis
    // thread's time when every task create bumped a cache generation (issue 20's profile).
    if (delay.count() == 0) return asio::post(socket.get_executor(), std::move(flush));
    write_timer.expires_after(delay);
    write_timer.async_wait([flush = std::move(flush)](const boost::system::error_code&) { flush(); });
  }

  void Cleanup() {
    *alive = false;
    boost::system::error_code ec;
    socket.release(ec);  // hiredis closes the descriptor itself
    write_timer.cancel();
  }
};

struct RedisConnection::Pending {
  Done done;
  bool delivered = false;
  std::chrono::steady_clock::time_point deadline;

  void Deliver(Result<RedisReply> result) {
    if (delivered) return;
    delivered = true;
    // Called once and let go: it may hold the caller's io_context as outstanding work, and this record can
    // outlive the request (hiredis keeps it until a late reply or the connection's end).
    auto deliver = std::move(done);
    deliver(std::move(result));
  }
};

// The commands in flight, oldest first, and one timer armed for the oldest one's deadline. Every command
// has the same timeout, so sending order is deadline order. A timer per command reprogrammed the reactor's
// timerfd for nearly every command (whenever it became the earliest), a syscall that dominated the Redis
// thread's time in issue 20's profile; this one is re-armed at most once per timeout while commands flow.
struct RedisConnection::Deadlines {
  explicit Deadlines(asio::io_context& io) : timer(io) {}
  std::deque<std::shared_ptr<Pending>> in_flight;
  asio::steady_timer timer;
  bool armed = false;
};

RedisConnection::RedisConnection(asio::io_context& io, RedisEndpoint endpoint,
                                 std::chrono::milliseconds timeout)
    : io_(io),
      endpoint_(std::move(endpoint)),
      timeout_(timeout),
      deadlines_(std::make_unique<Deadlines>(io)) {
  Connect();
}

RedisConnection::~RedisConnection() {
  *alive_ = false;
  if (context_ != nullptr) {
    context_->data = nullptr;  // no callbacks into this object from here on
    redisAsyncFree(context_);  // answers pending commands with null replies (kUnavailable)
  }
  if (watch_) watch_->Cleanup();
}

void RedisConnection::Connect() {
  boost::system::error_code not_an_address;
  asio::ip::make_address(endpoint_.host, not_an_address);
  if (!not_an_address) {
    ConnectTo(endpoint_.host);
    return;
  }
  // hiredis would call a blocking getaddrinfo() on this thread, which serves every other connection of the
  // pool: a slow DNS answer would stall their replies past their timeouts. Asio resolves on its own thread.
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(io_);
  resolver->async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      [this, resolver, alive = alive_](const boost::system::error_code& ec,
                                       const asio::ip::tcp::resolver::results_type& results) {
        if (!*alive) return;
        if (ec || results.empty()) {
          log::Debug(
              "redis host not resolved",
              log::Fields().Add("host", endpoint_.host).Add("error", ec ? ec.message() : "no address"));
          ScheduleReconnect();
          return;
        }
        // One address per attempt, the next after each failed one; IPv4 first, as hiredis orders them.
        std::vector<asio::ip::address> addresses;
        for (const auto& entry : results) addresses.push_back(entry.endpoint().address());
        std::stable_partition(addresses.begin(), addresses.end(),
                              [](const asio::ip::address& a) { return a.is_v4(); });
        ConnectTo(addresses[address_turn_ % addresses.size()].to_string());
      });
}

void RedisConnection::ConnectTo(const std::string& address) {
  redisAsyncContext* context = redisAsyncConnect(address.c_str(), endpoint_.port);
  if (context == nullptr || context->err != 0) {
    log::Debug("redis connect failed",
               log::Fields().Add("error", context == nullptr ? "out of memory" : context->errstr));
    if (context != nullptr) redisAsyncFree(context);
    ++address_turn_;
    ScheduleReconnect();
    return;
  }
  context_ = context;
  context_->data = this;
  watch_ = std::make_unique<Watch>(io_, context_);
  if (!watch_->Attach()) {
    redisAsyncFree(context_);
    context_ = nullptr;
    ++address_turn_;
    ScheduleReconnect();
    return;
  }
  context_->ev.data = watch_.get();
  context_->ev.addRead = [](void* watch) {
    static_cast<Watch*>(watch)->reading = true;
    static_cast<Watch*>(watch)->ArmRead();
  };
  context_->ev.delRead = [](void* watch) { static_cast<Watch*>(watch)->reading = false; };
  context_->ev.addWrite = [](void* watch) {
    static_cast<Watch*>(watch)->writing = true;
    static_cast<Watch*>(watch)->ScheduleWrite(std::chrono::milliseconds(0));
  };
  context_->ev.delWrite = [](void* watch) { static_cast<Watch*>(watch)->writing = false; };
  context_->ev.cleanup = [](void* watch) { static_cast<Watch*>(watch)->Cleanup(); };
  redisAsyncSetConnectCallback(context_, [](const redisAsyncContext* context, int status) {
    auto* self = static_cast<RedisConnection*>(context->data);
    if (self != nullptr && status != REDIS_OK) self->OnDisconnected();  // hiredis frees the context next
  });
  redisAsyncSetDisconnectCallback(context_, [](const redisAsyncContext* context, int) {
    auto* self = static_cast<RedisConnection*>(context->data);
    if (self != nullptr) self->OnDisconnected();
  });
  // The hand-shake is pipelined behind the connect; the PING's answer marks the connection ready unless AUTH
  // or SELECT was refused, which drops the connection (a wrong password or database must not pass silently).
  auto refused = std::make_shared<bool>(false);
  auto check = [this, alive = alive_, refused](const char* step) {
    return [this, alive, refused, step](Result<RedisReply> reply) {
      if (!*alive || reply || reply.error().code != ErrorCode::kInternal || *refused) return;
      *refused = true;
      log::Warn("redis refused the connection",
                log::Fields().Add("step", step).Add("error", reply.error().message));
      if (context_ != nullptr) redisAsyncDisconnect(context_);  // then reconnects with back-off
    };
  };
  if (!endpoint_.password.empty()) SendRaw({"AUTH", endpoint_.password}, check("AUTH"));
  if (endpoint_.database != 0) SendRaw({"SELECT", std::to_string(endpoint_.database)}, check("SELECT"));
  SendRaw({"PING"}, [this, alive = alive_, refused, context = context_](Result<RedisReply> reply) {
    if (!*alive || *refused) return;
    if (!reply) {
      // No answer in time, or an error such as -LOADING (a server still reading its data): this connection
      // would never become ready, so drop it and connect again with back-off. (A closed one is gone already.)
      if (context_ == context && context_ != nullptr) {
        log::Debug("redis handshake failed",
                   log::Fields().Add("port", endpoint_.port).Add("error", reply.error().message));
        Drop(reply.error().code == ErrorCode::kTimeout);
      }
      return;
    }
    if (!ready_) {
      log::Info("redis connected", log::Fields().Add("host", endpoint_.host).Add("port", endpoint_.port));
      if (ever_ready_ && on_reconnect_) on_reconnect_();
      ever_ready_ = true;
    }
    ready_ = true;
    backoff_ = std::chrono::milliseconds(100);
    if (!pattern_.empty()) SendSubscribe();
  });
}

void RedisConnection::Drop(bool unanswered) {
  // hiredis's disconnect waits for the pending replies, which a server that stopped answering never sends:
  // then free the context at once (its pending commands are answered "closed"; the disconnect callback runs
  // and reconnects). Only from outside hiredis's callbacks: a time-out is a timer's.
  if (!unanswered) {
    redisAsyncDisconnect(context_);
    return;
  }
  redisAsyncContext* freed = context_;
  redisAsyncFree(freed);
  if (context_ == freed) OnDisconnected();  // it never connected, so hiredis called no disconnect callback
}

void RedisConnection::OnDisconnected() {
  if (ready_) log::Warn("redis connection lost", log::Fields().Add("port", endpoint_.port));
  if (!ready_) ++address_turn_;  // this address did not take: the next attempt tries the host's next one
  ready_ = false;
  context_ = nullptr;
  // The watch may be on the call stack (hiredis disconnects from inside a read): free it later.
  asio::post(io_, [watch = std::shared_ptr<Watch>(std::move(watch_))] {});
  ScheduleReconnect();
}

void RedisConnection::ScheduleReconnect() {
  auto timer = std::make_shared<asio::steady_timer>(io_, backoff_);
  backoff_ = std::min(backoff_ * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
  timer->async_wait([this, timer, alive = alive_](const boost::system::error_code& ec) {
    if (!ec && *alive && context_ == nullptr) Connect();
  });
}

void RedisConnection::Send(const std::vector<std::string>& args, Done done) {
  if (!ready_ || context_ == nullptr) {
    done(Error{ErrorCode::kUnavailable, "redis is unreachable"});
    return;
  }
  // A server that stops answering without closing the connection (a stalled host, a partition) would keep it
  // "ready" for ever: after kMaxTimeoutsInARow commands without an answer it is dropped and connected again.
  SendRaw(args, [this, alive = alive_, context = context_, done = std::move(done)](Result<RedisReply> reply) {
    if (*alive && context_ == context) {
      timeouts_in_a_row_ = !reply && reply.error().code == ErrorCode::kTimeout ? timeouts_in_a_row_ + 1 : 0;
      if (timeouts_in_a_row_ >= kMaxTimeoutsInARow && context_ != nullptr) {
        log::Warn("redis stopped answering: reconnecting", log::Fields().Add("port", endpoint_.port));
        timeouts_in_a_row_ = 0;
        Drop(true);
      }
    }
    done(std::move(reply));
  });
}

void RedisConnection::SendRaw(const std::vector<std::string>& args, Done done) {
  auto pending = std::make_shared<Pending>();
  pending->done = std::move(done);
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* privdata = new std::shared_ptr<Pending>(pending);
  if (redisAsyncCommandArgv(context_, &RedisConnection::OnReply, privdata, static_cast<int>(args.size()),
                            argv.data(), lengths.data()) != REDIS_OK) {
    delete privdata;
    pending->Deliver(Error{ErrorCode::kUnavailable, "redis is unreachable"});
    return;
  }
  pending->deadline = std::chrono::steady_clock::now() + timeout_;
  deadlines_->in_flight.push_back(std::move(pending));
  WatchDeadlines();
}

void RedisConnection::WatchDeadlines() {
  Deadlines& d = *deadlines_;
  while (!d.in_flight.empty() && d.in_flight.front()->delivered) d.in_flight.pop_front();
  if (d.in_flight.empty() || d.armed) return;
  d.armed = true;
  d.timer.expires_at(d.in_flight.front()->deadline);
  d.timer.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    Deadlines& d = *deadlines_;
    d.armed = false;
    const auto now = std::chrono::steady_clock::now();
    // Taken off the queue before it is answered: the answer's callback may send (and queue) again.
    while (!d.in_flight.empty() && (d.in_flight.front()->delivered || d.in_flight.front()->deadline <= now)) {
      auto pending = std::move(d.in_flight.front());
      d.in_flight.pop_front();
      pending->Deliver(
          Error{ErrorCode::kTimeout, fmt::format("redis did not answer within {} ms", timeout_.count())});
      if (!*alive) return;  // the answer's callback may have destroyed this connection
    }
    WatchDeadlines();
  });
}

void RedisConnection::SubscribePattern(std::string pattern, OnMessage on_message,
                                       std::function<void()> on_subscribed) {
  pattern_ = std::move(pattern);
  on_message_ = std::move(on_message);
  on_subscribed_ = std::move(on_subscribed);
  if (ready_ && context_ != nullptr) SendSubscribe();
}

void RedisConnection::SendSubscribe() {
  // hiredis keeps this callback for the subscription's life and calls it for every message (and with no
  // reply when the connection ends); it finds this object through the context, which forgets it when this
  // object is destroyed.
  (void)redisAsyncCommand(context_, &RedisConnection::OnPatternReply, nullptr, "PSUBSCRIBE %b",
                          pattern_.data(), pattern_.size());
}

void RedisConnection::OnPatternReply(redisAsyncContext* context, void* reply, void*) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (reply == nullptr || self == nullptr) return;
  const auto& message = *static_cast<redisReply*>(reply);
  // ["pmessage", pattern, channel, payload]; the subscription's confirmation is ["psubscribe", pattern, n].
  if (message.type != REDIS_REPLY_ARRAY || message.elements < 3) return;
  const redisReply* kind = message.element[0];
  if (kind->type != REDIS_REPLY_STRING) return;
  const std::string_view word(kind->str, kind->len);
  if (word == "psubscribe") {
    if (self->on_subscribed_) self->on_subscribed_();
    return;
  }
  if (word != "pmessage" || message.elements != 4) return;
  const redisReply* channel = message.element[2];
  const redisReply* payload = message.element[3];
  if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) return;
  self->on_message_(std::string(channel->str, channel->len), std::string(payload->str, payload->len));
}

void RedisConnection::OnReply(redisAsyncContext*, void* reply, void* privdata) {
  std::unique_ptr<std::shared_ptr<Pending>> pending(static_cast<std::shared_ptr<Pending>*>(privdata));
  if (reply == nullptr) {
    (*pending)->Deliver(Error{ErrorCode::kUnavailable, "redis connection closed"});
    return;
  }
  RedisReply copied = Copy(*static_cast<redisReply*>(reply));
  if (copied.type == RedisReply::Type::kError) {
    (*pending)->Deliver(Error{ErrorCode::kInternal, "redis: " + copied.text});
    return;
  }
  (*pending)->Deliver(std::move(copied));
}

}  // namespace keel::kv
