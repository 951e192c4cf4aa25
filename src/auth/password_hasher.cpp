// argon2id through libsodium's crypto_pwhash_str.
#include "auth/password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>

namespace keel::auth {

PasswordHasher::PasswordHasher(unsigned long long ops_limit, std::size_t mem_limit_bytes)
    : ops_limit_(ops_limit), mem_limit_bytes_(mem_limit_bytes) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
  char random_password[33];
  randombytes_buf(random_password, sizeof(random_password) - 1);
  random_password[32] = '\0';
  auto dummy = Hash(std::string_view(random_password, 32));
  if (!dummy) throw std::runtime_error("cannot compute the dummy password hash: " + dummy.error().message);
  dummy_hash_ = std::move(dummy).value();
}

Result<std::string> PasswordHasher::Hash(std::string_view password) const {
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), ops_limit_, mem_limit_bytes_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error{ErrorCode::kOverloaded, "not enough memory to hash the password"};
  return std::string(encoded);
}

bool PasswordHasher::Verify(std::string_view encoded_hash, std::string_view password) const {
  std::string hash(encoded_hash);  // needs a NUL-terminated string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace keel::auth
