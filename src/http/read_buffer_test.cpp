// Unit tests of the connections' read buffers: whole pages for the standard size, reused per thread.
#include "http/read_buffer.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>
#include <boost/beast/core/flat_buffer.hpp>

#include "http/request_reader.hpp"

namespace keel::http {
namespace {

TEST(ReadBuffer, StandardBuffersArePagesOfTheirOwnAndAreReused) {
  auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  void* first = AllocateReadBlock(kReadBufferSize);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % page, 0u);  // no malloc header shares its first page
  std::memset(first, 'x', kReadBufferSize);
  FreeReadBlock(first, kReadBufferSize);
  void* again = AllocateReadBlock(kReadBufferSize);
  EXPECT_EQ(again, first);  // from this thread's pool
  FreeReadBlock(again, kReadBufferSize);
}

TEST(ReadBuffer, OtherSizesComeFromTheHeap) {
  void* bigger = AllocateReadBlock(3 * kReadBufferSize);
  std::memset(bigger, 'y', 3 * kReadBufferSize);
  FreeReadBlock(bigger, 3 * kReadBufferSize);
  void* small = AllocateReadBlock(100);
  FreeReadBlock(small, 100);
}

TEST(ReadBuffer, AFlatBufferGrowsPastTheStandardSizeAndGivesItAllBack) {
  FlatBuffer buffer;
  auto room = buffer.prepare(kReadBufferSize);
  std::memset(room.data(), 'a', room.size());
  buffer.commit(room.size());
  room = buffer.prepare(kReadBufferSize);  // outgrows the first block: the data moves to a heap block
  buffer.commit(room.size());
  EXPECT_EQ(buffer.size(), 2 * kReadBufferSize);
  EXPECT_EQ(static_cast<const char*>(buffer.data().data())[kReadBufferSize - 1], 'a');
  buffer.consume(buffer.size());
  buffer.shrink_to_fit();
  EXPECT_EQ(buffer.capacity(), 0u);
}

}  // namespace
}  // namespace keel::http
