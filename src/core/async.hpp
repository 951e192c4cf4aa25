// Coroutine vocabulary: Task<T> (an Asio awaitable) and RunBlocking, which moves blocking work to a pool.
#pragma once

#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio/awaitable.hpp>

#include "core/blocking_pool.hpp"
#include "core/result.hpp"

namespace keel {

template <class T>
using Task = boost::asio::awaitable<T>;

namespace detail {
// Runs work on the pool and resumes the caller on its own executor; false when the pool refused it.
Task<bool> RunOnPool(BlockingPool& pool, std::function<void()> work);
// Calls start with a `done` callback and resumes the caller on its own executor once `done` is called, from
// any thread. `done` must be called exactly once.
Task<void> AwaitSignal(const std::function<void(std::function<void()> done)>& start);
}  // namespace detail

// Bridges a callback API to a coroutine: start(deliver) begins an operation that calls deliver(value) exactly
// once, from any thread; the caller resumes on its own executor with that value.
//
// g++ 12 destroys some temporaries of a co_await expression twice: callers pass a named std::function, and
// nothing here puts a temporary with a non-trivial destructor into a co_await expression.
template <class T>
Task<T> AwaitCallback(const std::function<void(std::function<void(T)> deliver)>& start) {
  std::optional<T> out;
  const std::function<void(std::function<void()>)> begin = [&start, &out](std::function<void()> done) {
    start([&out, done = std::move(done)](T value) {
      out.emplace(std::move(value));
      done();  // the post inside orders the write above before the caller's read
    });
  };
  co_await detail::AwaitSignal(begin);
  co_return std::move(*out);
}

// Runs fn (returning Result<T>) on a blocking pool. Yields kOverloaded when the pool's queue is full, and
// kInternal when fn throws, so no exception crosses into the caller's coroutine.
template <class F>
auto RunBlocking(BlockingPool& pool, F fn) -> Task<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  std::optional<R> out;
  bool accepted = co_await detail::RunOnPool(pool, [&] {
    try {
      out.emplace(fn());
    } catch (const std::exception& e) {
      out.emplace(Error{ErrorCode::kInternal, e.what()});
    } catch (...) {
      out.emplace(Error{ErrorCode::kInternal, "unknown exception in blocking work"});
    }
  });
  if (!accepted) co_return R(Error{ErrorCode::kOverloaded, "the " + pool.name() + " pool is full"});
  co_return std::move(*out);
}

}  // namespace keel
