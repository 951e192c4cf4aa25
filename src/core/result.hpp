// Keel's one error vocabulary: Error{code, message} and Result<T>, returned (never thrown) across layers.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace keel {

// A closed set: every code maps to exactly one HTTP status in http/problem.cpp.
enum class ErrorCode {
  kInvalidArgument,   // malformed input (400)
  kValidation,        // well-formed input with invalid fields (422)
  kUnauthenticated,   // missing or bad credentials (401)
  kPermissionDenied,  // authenticated but not allowed (403)
  kNotFound,          // no such object, or not yours (404)
  kConflict,          // unique constraint or state conflict (409)
  kPrecondition,      // a precondition header did not hold (412)
  kTooLarge,          // payload over a limit (413)
  kUnsupportedMedia,  // content type not accepted (415)
  kRateLimited,       // over a rate limit (429)
  kOverloaded,        // a bounded queue is full; retry later (503)
  kUnavailable,       // a dependency is down or we are draining (503)
  kTimeout,           // an operation ran out of time (504 inside, 503 to clients)
  kInternal,          // a bug or an unexpected library failure (500)
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

// Holds either a T or an Error. Cheap to move; check ok() before value().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> Ok() { return {}; }

}  // namespace keel
