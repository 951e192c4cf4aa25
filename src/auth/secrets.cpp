// Random tokens and ids from libsodium, hashes from OpenSSL.
#include "auth/secrets.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "auth/base64url.hpp"

namespace keel::auth {
namespace {

std::string Hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

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
  return Hex(buffer, sizeof(buffer));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof(digest));
}

}  // namespace keel::auth
