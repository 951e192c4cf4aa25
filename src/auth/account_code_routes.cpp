// Handlers of the code-based account flows: validate, call AccountCodes, answer without revealing accounts.
#include "auth/account_code_routes.hpp"

#include <nlohmann/json.hpp>

#include "http/json_fields.hpp"
#include "http/problem.hpp"

namespace keel::auth {
namespace {

// An e-mail field, normalized; records an error when missing or implausible.
std::string EmailField(http::JsonFields& fields) {
  auto email = fields.String("email", 3, 254, true, true);
  std::string normalized = email ? NormalizeEmail(*email) : "";
  if (email && !ValidEmail(normalized)) fields.AddError("email", "is not a valid e-mail address");
  return normalized;
}

// A six-digit code field.
std::string CodeField(http::JsonFields& fields) {
  auto code = fields.String("otp", 6, 6, true, true);
  if (code && code->find_first_not_of("0123456789") != std::string::npos)
    fields.AddError("otp", "must be the six digits from the e-mail");
  return code.value_or("");
}

http::Response Accepted(std::string_view detail) {
  return http::Response::Json(202, nlohmann::json{{"detail", detail}}.dump());
}

Task<http::Response> Verify(AccountCodes& codes, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"email", "otp"});
  std::string email = EmailField(fields);
  std::string code = CodeField(fields);
  if (!fields.ok()) co_return fields.Problem();
  auto user = co_await codes.Verify(email, code);
  if (!user) {
    if (user.error().code == ErrorCode::kValidation)
      co_return http::InvalidFieldsProblem({{"otp", user.error().message, "/otp"}});
    co_return http::ProblemFrom(user.error());
  }
  co_return http::Response::Json(200, UserJson(*user).dump());
}

Task<http::Response> Resend(AccountCodes& codes, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"email"});
  std::string email = EmailField(fields);
  if (!fields.ok()) co_return fields.Problem();
  auto sent = co_await codes.ResendVerification(email);
  if (!sent) co_return http::ProblemFrom(sent.error());
  co_return Accepted("if this address has an unverified account, a new code is on its way");
}

Task<http::Response> Forgot(AccountCodes& codes, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"email"});
  std::string email = EmailField(fields);
  if (!fields.ok()) co_return fields.Problem();
  auto sent = co_await codes.ForgotPassword(email);
  if (!sent) co_return http::ProblemFrom(sent.error());
  co_return Accepted("if this address has an account, a reset code is on its way");
}

Task<http::Response> Reset(AccountCodes& codes, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"email", "otp", "password"});
  std::string email = EmailField(fields);
  std::string code = CodeField(fields);
  auto password = fields.String("password", 10, 256, true);
  if (!fields.ok()) co_return fields.Problem();
  auto reset = co_await codes.ResetPassword(email, code, *password);
  if (!reset) {
    if (reset.error().code == ErrorCode::kValidation)
      co_return http::InvalidFieldsProblem({{"otp", reset.error().message, "/otp"}});
    co_return http::ProblemFrom(reset.error());
  }
  co_return http::Response::Json(200, nlohmann::json{{"detail", "password changed; log in again"}}.dump());
}

}  // namespace

void AddAccountCodeRoutes(http::Router& router, AccountCodes& codes) {
  const http::RouteOptions json{.json_body = true, .rate_policy = "auth"};
  router.Add(
      "POST", "/api/v1/auth/verify", [&codes](http::Request& r) { return Verify(codes, r); }, json);
  router.Add(
      "POST", "/api/v1/auth/otp/resend", [&codes](http::Request& r) { return Resend(codes, r); }, json);
  router.Add(
      "POST", "/api/v1/auth/password/forgot", [&codes](http::Request& r) { return Forgot(codes, r); }, json);
  router.Add(
      "POST", "/api/v1/auth/password/reset", [&codes](http::Request& r) { return Reset(codes, r); }, json);
}

}  // namespace keel::auth
