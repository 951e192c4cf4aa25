// Redis Cluster's key space: 16384 hash slots, a key's slot the CRC16 (XMODEM) of the key, or of its hash tag
// (the text between the first '{' and the next '}', when not empty), modulo 16384. Keys that must live on one
// node together (a Lua script's keys, a multi-key command's) share a tag.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::kv {

inline constexpr int kRedisSlots = 16384;

std::uint16_t Crc16(std::string_view bytes);
int KeySlot(std::string_view key);

}  // namespace keel::kv
