// Wakes a coroutine that waits on one executor, from any thread, without losing a wake-up that arrives before
// the wait begins: Notify marks the wake-up on the executor's thread (and ends a wait in progress), and the
// next Wait returns at once when one is marked. For streams that sleep until something happens or a deadline
// passes.
//
// Thread safety: Notify from any thread; Wait only on the executor given to Make, one wait at a time.
#pragma once

#include <chrono>
#include <memory>

#include <utility>  // before Boost

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/async.hpp"

namespace keel {

class Wakeup : public std::enable_shared_from_this<Wakeup> {
 public:
  static std::shared_ptr<Wakeup> Make(boost::asio::any_io_executor executor) {
    return std::shared_ptr<Wakeup>(new Wakeup(std::move(executor)));
  }

  void Notify() {
    boost::asio::post(timer_.get_executor(), [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->pending_ = true;
        self->timer_.cancel();
      }
    });
  }

  // Returns when notified (since the last Wait returned) or at `deadline`, whichever comes first.
  Task<void> Wait(std::chrono::steady_clock::time_point deadline) {
    if (!pending_) {
      timer_.expires_at(deadline);
      boost::system::error_code ended;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ended));
    }
    pending_ = false;
  }

 private:
  explicit Wakeup(boost::asio::any_io_executor executor) : timer_(std::move(executor)) {}

  boost::asio::steady_timer timer_;
  bool pending_ = false;  // on the executor's thread only
};

}  // namespace keel
