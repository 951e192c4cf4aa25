// RedisConnection's time-outs against a real redis-server of the test's own that stops answering (SIGSTOP):
// every command in flight is answered kTimeout once its own deadline passes, never before, and the
// connection answers again after the server comes back.
#include "storage/kv/redis/redis_connection.hpp"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "storage/kv/redis/private_redis.hpp"

namespace keel::kv {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr auto kCommandTimeout = std::chrono::milliseconds(300);

// A RedisConnection on an io_context thread of its own; commands are posted to it and their answers
// collected for the test's thread.
class ConnectionOnItsThread {
 public:
  struct Answer {
    Clock::time_point sent;
    Clock::time_point answered;
    std::optional<ErrorCode> error;  // empty: a reply
  };

  explicit ConnectionOnItsThread(int port) {
    thread_ = std::thread([this] { io_.run(); });
    Call([this, port] {
      connection_ = std::make_unique<RedisConnection>(io_, RedisEndpoint{.port = port}, kCommandTimeout);
    });
  }
  ~ConnectionOnItsThread() {
    Call([this] { connection_.reset(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Sends PING; its answer lands in answers() at `index`.
  std::size_t Ping() {
    std::size_t index = 0;
    Call([this, &index] {
      std::lock_guard lock(mutex_);
      index = answers_.size();
      answers_.push_back(std::nullopt);
      const auto sent = Clock::now();
      connection_->Send({"PING"}, [this, index, sent](Result<RedisReply> reply) {
        std::lock_guard lock(mutex_);
        EXPECT_FALSE(answers_[index].has_value()) << "command " << index << " answered twice";
        answers_[index] =
            Answer{sent, Clock::now(), reply ? std::nullopt : std::optional(reply.error().code)};
        answered_.notify_all();
      });
    });
    return index;
  }

  std::optional<Answer> WaitFor(std::size_t index, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    answered_.wait_for(lock, limit, [&] { return answers_[index].has_value(); });
    return answers_[index];
  }

  bool Ready() {
    bool ready = false;
    Call([this, &ready] { ready = connection_->Ready(); });
    return ready;
  }

  // Until a PING is answered with a reply, at most `limit`.
  bool AnswersWithin(std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    while (Clock::now() < until) {
      if (Ready()) {
        auto answer = WaitFor(Ping(), kCommandTimeout * 3);
        if (answer && !answer->error) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  template <class F>
  void Call(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<RedisConnection> connection_;  // used on thread_ only
  std::mutex mutex_;
  std::condition_variable answered_;
  std::vector<std::optional<Answer>> answers_;  // GUARDED_BY(mutex_)
};

TEST(RedisConnectionTimeouts, EachCommandTimesOutAtItsOwnDeadlineAndTheConnectionRecovers) {
  if (::access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "no redis-server";
  PrivateRedis redis;
  ConnectionOnItsThread connection(redis.port());
  ASSERT_TRUE(connection.AnswersWithin(std::chrono::seconds(10)));

  redis.Pause();
  const std::size_t first = connection.Ping();
  std::this_thread::sleep_for(kCommandTimeout / 2);
  const std::size_t second = connection.Ping();
  for (std::size_t index : {first, second}) {
    auto answer = connection.WaitFor(index, kCommandTimeout * 4);
    ASSERT_TRUE(answer.has_value()) << "command " << index << " never answered";
    ASSERT_TRUE(answer->error.has_value());
    EXPECT_EQ(*answer->error, ErrorCode::kTimeout);
    const auto waited = answer->answered - answer->sent;
    EXPECT_GE(waited, kCommandTimeout) << "command " << index;
    EXPECT_LT(waited, kCommandTimeout + std::chrono::milliseconds(250)) << "command " << index;
  }

  redis.Resume();
  EXPECT_TRUE(connection.AnswersWithin(std::chrono::seconds(10)));
}

TEST(RedisConnectionTimeouts, AnsweredCommandsNeverTimeOutLater) {
  if (::access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "no redis-server";
  PrivateRedis redis;
  ConnectionOnItsThread connection(redis.port());
  ASSERT_TRUE(connection.AnswersWithin(std::chrono::seconds(10)));
  std::vector<std::size_t> sent;
  for (int i = 0; i < 200; ++i) sent.push_back(connection.Ping());
  for (std::size_t index : sent) {
    auto answer = connection.WaitFor(index, kCommandTimeout * 3);
    ASSERT_TRUE(answer.has_value());
    EXPECT_FALSE(answer->error.has_value()) << "command " << index;
  }
  // Past every deadline: a second answer (a late time-out) would fail the EXPECT in the callback.
  std::this_thread::sleep_for(kCommandTimeout * 2);
}

}  // namespace
}  // namespace keel::kv
