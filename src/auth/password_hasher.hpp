// Password hashing with argon2id (libsodium). Slow by design: call it on a blocking pool, never an IO thread.
//
// Thread safety: immutable after construction; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel::auth {

class PasswordHasher {
 public:
  // ops_limit and mem_limit_bytes as libsodium's crypto_pwhash (INTERACTIVE: 2 and 64 MiB).
  PasswordHasher(unsigned long long ops_limit, std::size_t mem_limit_bytes);

  // An encoded "$argon2id$..." string with its own salt and parameters.
  Result<std::string> Hash(std::string_view password) const;

  // True when password matches the encoded hash. Constant-time in the password.
  bool Verify(std::string_view encoded_hash, std::string_view password) const;

  // A valid hash with this hasher's parameters that no known password matches: verifying against it takes
  // as long as a real check, so an unknown e-mail and a wrong password cost the same time.
  const std::string& DummyHash() const { return dummy_hash_; }

 private:
  std::string WrittenDummyHash() const;

  unsigned long long ops_limit_;
  std::size_t mem_limit_bytes_;
  std::string dummy_hash_;
};

}  // namespace keel::auth
