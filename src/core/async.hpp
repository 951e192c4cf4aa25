// Coroutine vocabulary: Task<T> (an Asio awaitable) and RunBlocking, which moves blocking work to a pool.
#pragma once

#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include <exception>
#include <functional>
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
}  // namespace detail

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
