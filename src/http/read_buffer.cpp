// The per-thread pool of page-backed read buffers.
#include "http/read_buffer.hpp"

#include <sys/mman.h>

#include <new>
#include <vector>

namespace keel::http {
namespace {

// Enough for the connections a thread opens and closes in a burst; more free blocks go back to the kernel.
constexpr std::size_t kPooledBlocks = 64;

struct Pool {
  Pool() { free.reserve(kPooledBlocks); }
  std::vector<void*> free;
  ~Pool() {
    for (void* block : free) munmap(block, kReadBufferSize);
  }
};

Pool& ThreadPool() {
  thread_local Pool pool;
  return pool;
}

}  // namespace

void* AllocateReadBlock(std::size_t bytes) {
  if (bytes != kReadBufferSize) return ::operator new(bytes);
  auto& pool = ThreadPool();
  if (!pool.free.empty()) {
    void* block = pool.free.back();
    pool.free.pop_back();
    return block;
  }
  void* block = mmap(nullptr, kReadBufferSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) throw std::bad_alloc();
  return block;
}

void FreeReadBlock(void* block, std::size_t bytes) noexcept {
  if (bytes != kReadBufferSize) {
    ::operator delete(block);
    return;
  }
  auto& pool = ThreadPool();
  if (pool.free.size() < kPooledBlocks) {
    pool.free.push_back(block);  // reserved below, so this cannot throw
    return;
  }
  munmap(block, kReadBufferSize);
}

}  // namespace keel::http
