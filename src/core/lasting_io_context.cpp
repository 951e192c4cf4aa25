// LastingIoContext: the process-wide list of loops, reused so that making and destroying components does not
// grow it.
#include "core/lasting_io_context.hpp"

#include <memory>
#include <mutex>
#include <vector>

namespace keel {
namespace {

struct Loops {
  std::mutex mutex;
  std::vector<std::unique_ptr<boost::asio::io_context>> all;  // GUARDED_BY(mutex)
  std::vector<boost::asio::io_context*> free;                 // GUARDED_BY(mutex)
};

// Never destroyed: a component made by a static object may outlive any other static.
Loops& ProcessLoops() {
  static auto* loops = new Loops();
  return *loops;
}

}  // namespace

LastingIoContext::LastingIoContext() {
  Loops& loops = ProcessLoops();
  std::lock_guard lock(loops.mutex);
  if (!loops.free.empty()) {
    io_ = loops.free.back();
    loops.free.pop_back();
    return;
  }
  loops.all.push_back(std::make_unique<boost::asio::io_context>());
  io_ = loops.all.back().get();
}

LastingIoContext::~LastingIoContext() {
  // A late post() only enqueues (its handler already ran) and signals: the next user's restart() and run()
  // are unaffected by it.
  Loops& loops = ProcessLoops();
  std::lock_guard lock(loops.mutex);
  loops.free.push_back(io_);
}

}  // namespace keel
