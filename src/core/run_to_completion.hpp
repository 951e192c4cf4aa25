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

template <class T>
T RunToCompletion(Task<T> task) {
  boost::asio::io_context io;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> Task<void> { out.emplace(co_await std::move(task)); },
      [](std::exception_ptr failure) {
        if (failure) std::rethrow_exception(failure);
      });
  io.run();
  return std::move(*out);
}

inline void RunToCompletion(Task<void> task) {
  boost::asio::io_context io;
  boost::asio::co_spawn(io, std::move(task), [](std::exception_ptr failure) {
    if (failure) std::rethrow_exception(failure);
  });
  io.run();
}

}  // namespace keel
