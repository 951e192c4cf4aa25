// PasswordHasher: argon2id hashes verify their password only; the dummy hash costs a real check and matches
// nothing.
#include "auth/password_hasher.hpp"

#include <gtest/gtest.h>

#include <sodium.h>

#include <algorithm>
#include <chrono>

namespace keel::auth {
namespace {

// libsodium's minimum cost, so that the tests are quick; the parameters are what matter, not their size.
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_MIN;
constexpr std::size_t kMemory = 64 * 1024;

TEST(PasswordHasher, AHashVerifiesItsPasswordAndNoOther) {
  PasswordHasher hasher(kOps, kMemory);
  auto hash = hasher.Hash("correct horse");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_TRUE(hasher.Verify(*hash, "correct horse"));
  EXPECT_FALSE(hasher.Verify(*hash, "correct horse "));
  EXPECT_FALSE(hasher.Verify(*hash, ""));
  EXPECT_NE(*hash, *hasher.Hash("correct horse"));  // a salt of its own each time
}

TEST(PasswordHasher, TheDummyHashCarriesTheParametersOfARealOneAndMatchesNothing) {
  PasswordHasher hasher(kOps, kMemory);
  const std::string& dummy = hasher.DummyHash();
  // libsodium reads it, with exactly the parameters a real hash of this hasher has.
  EXPECT_EQ(crypto_pwhash_str_needs_rehash(dummy.c_str(), kOps, kMemory), 0) << dummy;
  EXPECT_EQ(crypto_pwhash_str_needs_rehash(dummy.c_str(), kOps + 1, kMemory), 1) << dummy;
  for (const char* password : {"", "password", "correct horse"}) EXPECT_FALSE(hasher.Verify(dummy, password));
  EXPECT_NE(dummy, PasswordHasher(kOps, kMemory).DummyHash());
}

TEST(PasswordHasher, VerifyingAgainstTheDummyHashCostsWhatARealCheckCosts) {
  // Big enough parameters that argon2 itself, not the call, is what is timed.
  PasswordHasher hasher(3, 16 * 1024 * 1024);
  auto real = hasher.Hash("correct horse");
  ASSERT_TRUE(real.ok());
  auto time = [&](const std::string& hash) {
    auto best = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      auto started = std::chrono::steady_clock::now();
      EXPECT_FALSE(hasher.Verify(hash, "wrong password"));
      best = std::min(best, std::chrono::steady_clock::now() - started);
    }
    return std::chrono::duration<double>(best).count();
  };
  double real_seconds = time(*real);
  double dummy_seconds = time(hasher.DummyHash());
  EXPECT_GT(dummy_seconds, 0.5 * real_seconds) << dummy_seconds << " s vs " << real_seconds << " s";
  EXPECT_LT(dummy_seconds, 2.0 * real_seconds) << dummy_seconds << " s vs " << real_seconds << " s";
}

}  // namespace
}  // namespace keel::auth
