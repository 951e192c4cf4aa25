// Random tokens and ids from libsodium.
#include "core/random.hpp"

#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "core/base64url.hpp"

namespace keel {
namespace {

void Fill(unsigned char* data, std::size_t size) {
  static const bool initialized = sodium_init() >= 0;
  if (!initialized) throw std::runtime_error("libsodium failed to initialize");
  randombytes_buf(data, size);
}

}  // namespace

std::string RandomToken(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  Fill(buffer.data(), buffer.size());
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

std::string NewId() {
  unsigned char buffer[16];
  Fill(buffer, sizeof(buffer));
  char hex[sizeof(buffer) * 2 + 1];
  return sodium_bin2hex(hex, sizeof(hex), buffer, sizeof(buffer));
}

}  // namespace keel
