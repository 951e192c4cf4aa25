// Connections' read buffers: kReadBufferSize bytes in pages of their own (mmap), a few kept per thread for
// reuse.
//
// Why not malloc: a connection idle for a while gives its buffer back (server.cpp parks it), and a malloc'd
// block's first page, the one reads touch, also holds malloc's bookkeeping, so it stays resident after free
// (malloc_trim cannot return it). An unmapped block is returned to the kernel at once. Other sizes (a head or
// body that outgrows the first buffer) come from operator new as before. The buffer type, FlatBuffer, is in
// request_reader.hpp.
#pragma once

#include <cstddef>

namespace keel::http {

inline constexpr std::size_t kReadBufferSize = 8192;

void* AllocateReadBlock(std::size_t bytes);
void FreeReadBlock(void* block, std::size_t bytes) noexcept;

template <class T>
struct ReadBufferAllocator {
  using value_type = T;
  ReadBufferAllocator() = default;
  template <class U>
  ReadBufferAllocator(const ReadBufferAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(AllocateReadBlock(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { FreeReadBlock(p, n * sizeof(T)); }
  friend bool operator==(const ReadBufferAllocator&, const ReadBufferAllocator&) { return true; }
};

}  // namespace keel::http
