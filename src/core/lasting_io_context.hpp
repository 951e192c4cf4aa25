// LastingIoContext: the event loop of a component's own thread (a watcher, a background writer) that makes
// asynchronous calls with RunToCompletion. The threads that answer those calls (a database's, a pool's) may
// still be leaving their post() into the loop when the call has returned, and they live on after the
// component: so the loop must not be destroyed with the component. It is taken from, and given back to, a
// process-wide list, and never destroyed (the process's exit reclaims it).
//
// Thread safety: construction and destruction from any thread; get() as io_context (one RunToCompletion at a
// time).
#pragma once

#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include <boost/asio/io_context.hpp>

namespace keel {

class LastingIoContext {
 public:
  LastingIoContext();
  ~LastingIoContext();
  LastingIoContext(const LastingIoContext&) = delete;
  LastingIoContext& operator=(const LastingIoContext&) = delete;

  boost::asio::io_context& get() { return *io_; }

 private:
  boost::asio::io_context* io_;  // owned by the process-wide list
};

}  // namespace keel
