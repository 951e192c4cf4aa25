// Runs one coroutine to its end on a fresh io_context in the calling thread: for tests and other code outside
// the event loops that needs a Task's result. The io_context's run() returns only when no work is left, so
// backends that answer from their own threads must count their pending answers as work (AwaitSignal does).
#pragma once

#include <exception>
#include <optional>
#include <utility>  // before Boost

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "core/async.hpp"

namespace keel {

// On `io`, which the caller keeps: give it a longer life than every thread that answers into it (pools,
// database threads), or such a thread may still be inside its post when a per-call io_context goes away.
template <class T>
T RunToCompletion(boost::asio::io_context& io, Task<T> task) {
  io.restart();
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> Task<void> { out.emplace(co_await std::move(task)); },
      [](std::exception_ptr failure) {
        if (failure) std::rethrow_exception(failure);
      });
  io.run();
  return std::move(*out);
}

template <class T>
T RunToCompletion(Task<T> task) {
  boost::asio::io_context io;
  return RunToCompletion(io, std::move(task));
}

inline void RunToCompletion(Task<void> task) {
  boost::asio::io_context io;
  boost::asio::co_spawn(io, std::move(task), [](std::exception_ptr failure) {
    if (failure) std::rethrow_exception(failure);
  });
  io.run();
}

}  // namespace keel
