// argon2id through libsodium's crypto_pwhash_str.
#include "auth/password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>

#include <fmt/format.h>

namespace keel::auth {

// The dummy hash is written, not computed: argon2id with this hasher's parameters, a random salt and a random
// 32-byte digest (what crypto_pwhash_str writes, in the same encoding). Verifying against it costs what a
// real check costs, since the cost is in the parameters, and no password is known to match it. Hashing a
// random password instead cost ~150 ms of every start (64 MiB, two passes), most of `keel serve`'s time to
// /ready.
std::string PasswordHasher::WrittenDummyHash() const {
  unsigned char salt[crypto_pwhash_SALTBYTES];
  unsigned char digest[32];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(digest, sizeof digest);
  char salt_text[sodium_base64_ENCODED_LEN(sizeof salt, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
  char digest_text[sodium_base64_ENCODED_LEN(sizeof digest, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
  sodium_bin2base64(salt_text, sizeof salt_text, salt, sizeof salt,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  sodium_bin2base64(digest_text, sizeof digest_text, digest, sizeof digest,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return fmt::format("$argon2id$v=19$m={},t={},p=1${}${}", mem_limit_bytes_ / 1024, ops_limit_, salt_text,
                     digest_text);
}

PasswordHasher::PasswordHasher(unsigned long long ops_limit, std::size_t mem_limit_bytes)
    : ops_limit_(ops_limit), mem_limit_bytes_(mem_limit_bytes) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
  dummy_hash_ = WrittenDummyHash();
  // A string libsodium would not read, or would read with other parameters, would make unknown e-mails fast.
  if (crypto_pwhash_str_needs_rehash(dummy_hash_.c_str(), ops_limit_, mem_limit_bytes_) != 0)
    throw std::runtime_error("the dummy password hash does not carry the configured parameters: " +
                             dummy_hash_);
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
