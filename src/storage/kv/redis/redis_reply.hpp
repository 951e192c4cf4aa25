// A Redis reply as plain values, copied out of hiredis's reply object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keel::kv {

struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string text;  // string, status or error
  std::vector<RedisReply> elements;
};

}  // namespace keel::kv
