// SHA-256 as lower-case hex: stored token hashes (auth), training-data fingerprints (ml), blob names
// (storage).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace keel {

// SHA-256 of data as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view data);

// SHA-256 of data that arrives in pieces (a streamed upload).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view data);
  // The digest of everything updated so far, as 64 lower-case hex digits; the hasher starts over after it.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace keel
