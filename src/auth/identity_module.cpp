// Handlers of /api/v1/auth/* (thin: validate, call IdentityService, shape JSON) and the module's wiring.
#include "auth/identity_module.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/account_code_routes.hpp"
#include "auth/auth_config.hpp"
#include "auth/identity_service.hpp"
#include "auth/otp_service.hpp"
#include "core/metrics.hpp"
#include "core/random.hpp"
#include "http/json_fields.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "storage/kv/cache_generations.hpp"

namespace keel::auth {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view IdentityModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> IdentityModule::Migrations(std::string_view backend) const {
  return auth::Migrations(backend);
}

// Everything the module owns.
struct IdentityParts {
  std::unique_ptr<kv::CacheGenerations> user_list_generations;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<JwtCodec> jwt;
  std::unique_ptr<IdentityService> service;
  std::unique_ptr<OtpService> otp;
  std::unique_ptr<AccountCodes> codes;
};

namespace {

// Purges expired one-time codes and refresh tokens every hour.
void AddAuthMaintenance(ModuleContext& context, AccountCodes& codes) {
  auto purge = jobs::JobKind::Make("maintenance.purge_auth", "maintenance",
                                   [&codes](jobs::JobContext& context) -> Result<nlohmann::json> {
                                     auto purged = context.Await(codes.PurgeExpired());
                                     if (!purged) return std::move(purged).error();
                                     return nlohmann::json{{"purged", *purged}};
                                   });
  purge.max_attempts = 3;
  context.job_kinds().Add(std::move(purge));
  context.job_kinds().AddPeriodic(
      jobs::PeriodicJob{"maintenance.purge_auth", jobs::CronSchedule::Parse("7 * * * *").value()});
}

http::Response TokensJson(const TokenPair& pair) {
  nlohmann::ordered_json body = {{"access_token", pair.access_token},
                                 {"refresh_token", pair.refresh_token},
                                 {"token_type", "Bearer"},
                                 {"expires_in", pair.expires_in}};
  http::Response response = http::Response::Json(200, body.dump());
  response.headers.Add("Cache-Control", "no-store");
  return response;
}

Task<http::Response> RegisterUser(IdentityService& service, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"email", "password", "name"});
  auto email = fields.String("email", 3, 254, true, true);
  auto password = fields.String("password", 10, 256, true);
  auto name = fields.String("name", 1, 100, true, true);
  std::string normalized = email ? NormalizeEmail(*email) : "";
  if (email && !ValidEmail(normalized)) fields.AddError("email", "is not a valid e-mail address");
  if (!fields.ok()) co_return fields.Problem();
  auto user = co_await service.Register(normalized, *password, *name);
  if (!user) co_return http::ProblemFrom(user.error());
  http::Response response = http::Response::Json(201, UserJson(*user).dump());
  response.headers.Add("Location", "/api/v1/auth/me");
  co_return response;
}

Task<http::Response> Login(IdentityService& service, http::RateLimiter* limiter, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"email", "password"});
  auto email = fields.String("email", 1, 254, true, true);
  auto password = fields.String("password", 1, 256, true);
  if (!fields.ok()) co_return fields.Problem();
  std::string account = NormalizeEmail(*email);
  if (limiter != nullptr) {
    auto decision = co_await limiter->Check("login", account);
    if (decision && !decision->allowed) {
      http::Response response = http::ProblemFrom(
          Error{ErrorCode::kRateLimited, "too many login attempts for this account; wait and try again"});
      http::RateLimiter::AddHeaders(*decision, response);
      co_return response;
    }
  }
  auto tokens = co_await service.Login(account, *password);
  if (!tokens) {
    if (tokens.error().code == ErrorCode::kRateLimited) {
      http::Response response = http::ProblemFrom(
          Error{ErrorCode::kRateLimited, "too many failed logins for this account; wait and try again"});
      response.headers.Add("Retry-After", tokens.error().message);
      co_return response;
    }
    co_return http::ProblemFrom(tokens.error());
  }
  co_return TokensJson(*tokens);
}

// The body of /refresh and /logout: {"refresh_token": "..."}; the 422 answer when it is not that.
std::variant<std::string, http::Response> RefreshTokenOf(const http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"refresh_token"});
  auto token = fields.String("refresh_token", 1, 512, true);
  if (!fields.ok()) return fields.Problem();
  return std::move(*token);
}

Task<http::Response> Refresh(IdentityService& service, http::Request& request) {
  auto token = RefreshTokenOf(request);
  if (auto* problem = std::get_if<http::Response>(&token)) co_return std::move(*problem);
  auto tokens = co_await service.Refresh(std::get<std::string>(std::move(token)));
  if (!tokens) co_return http::ProblemFrom(tokens.error());
  co_return TokensJson(*tokens);
}

Task<http::Response> Logout(IdentityService& service, http::Request& request) {
  auto token = RefreshTokenOf(request);
  if (auto* problem = std::get_if<http::Response>(&token)) co_return std::move(*problem);
  auto done = co_await service.Logout(std::get<std::string>(std::move(token)));
  if (!done) co_return http::ProblemFrom(done.error());
  co_return http::Response::Empty(204);
}

Task<http::Response> Me(IdentityService& service, http::Request& request) {
  auto user = co_await service.FindUser(request.principal->subject);
  if (!user) co_return http::ProblemFrom(user.error());
  co_return http::Response::Json(200, UserJson(*user).dump());
}

Task<http::Response> ListUsers(IdentityService& service, http::Request& request) {
  std::vector<http::FieldError> errors;
  auto pagination = http::ParsePagination(request, errors);
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  auto json = co_await service.ListUsersJson(pagination.page, pagination.per_page);
  if (!json) co_return http::ProblemFrom(json.error());
  co_return http::Response::Json(200, std::move(*json));
}

Task<http::Response> UpdateUser(IdentityService& service, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"role", "active"});
  auto role = fields.String("role", 1, 16, false);
  auto active = fields.Bool("active", false);
  if (role && *role != "user" && *role != "admin") fields.AddError("role", "must be user or admin");
  if (fields.ok() && !role && !active) fields.AddError("body", "names no field to change (role, active)");
  if (!fields.ok()) co_return fields.Problem();
  auto user = co_await service.UpdateUser(std::string(*request.params.Get("id")), role, active);
  if (!user) co_return http::ProblemFrom(user.error());
  co_return http::Response::Json(200, UserJson(*user).dump());
}

nlohmann::ordered_json ApiKeyJson(const ApiKey& key) {
  nlohmann::ordered_json json = {
      {"id", key.id},
      {"name", key.name},
      {"prefix", key.prefix},
      {"scopes", nlohmann::ordered_json::parse(key.scopes_json, nullptr, false)},
      {"created_at", key.created_at},
      {"last_used_at", key.last_used_at ? nlohmann::ordered_json(*key.last_used_at) : nullptr}};
  if (!key.secret.empty()) json["key"] = key.secret;
  return json;
}

bool ValidScope(const std::string& scope) {
  if (scope.empty() || scope.size() > 64) return false;
  for (char c : scope) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Task<http::Response> CreateApiKey(IdentityService& service, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"name", "scopes"});
  auto name = fields.String("name", 1, 100, true, true);
  nlohmann::json scopes = nlohmann::json::array();
  if (const nlohmann::json* given = fields.Member("scopes")) {
    bool valid = given->is_array() && given->size() <= 32;
    for (const auto& scope : valid ? *given : nlohmann::json::array()) {
      if (!scope.is_string() || !ValidScope(scope.get<std::string>())) valid = false;
    }
    if (!valid) {
      fields.AddError("scopes", "must be at most 32 strings of a-z, 0-9 and : _ . - (1 to 64 characters)");
    } else {
      scopes = *given;
    }
  }
  if (!fields.ok()) co_return fields.Problem();
  auto key = co_await service.CreateApiKey(request.principal->subject, *name, scopes.dump());
  if (!key) co_return http::ProblemFrom(key.error());
  http::Response response = http::Response::Json(201, ApiKeyJson(*key).dump());
  response.headers.Add("Cache-Control", "no-store");
  co_return response;
}

Task<http::Response> ListApiKeys(IdentityService& service, http::Request& request) {
  std::vector<http::FieldError> errors;
  auto pagination = http::ParsePagination(request, errors);
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  auto keys = co_await service.ListApiKeys(request.principal->subject);
  if (!keys) co_return http::ProblemFrom(keys.error());
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  auto total = static_cast<std::int64_t>(keys->size());
  for (std::int64_t i = pagination.Offset(); i < std::min(total, pagination.Offset() + pagination.per_page);
       ++i)
    items.push_back(ApiKeyJson((*keys)[static_cast<std::size_t>(i)]));
  nlohmann::ordered_json body = {
      {"items", items}, {"page", pagination.page}, {"per_page", pagination.per_page}, {"total", total}};
  co_return http::Response::Json(200, body.dump());
}

Task<http::Response> RevokeApiKey(IdentityService& service, http::Request& request) {
  auto revoked =
      co_await service.RevokeApiKey(request.principal->subject, std::string(*request.params.Get("id")));
  if (!revoked) co_return http::ProblemFrom(revoked.error());
  co_return http::Response::Empty(204);
}

// The signing key: from config, or in embedded mode from a key file created on first start (mode 0600), so
// tokens survive restarts. Several instances need a shared key, so there a missing one is an error.
Result<std::string> LoadSigningSecret(const AuthOptions& auth, bool embedded) {
  if (!auth.jwt_secret.empty()) return auth.jwt_secret;
  if (!embedded)
    return Error{ErrorCode::kInvalidArgument,
                 "auth.jwt_secret is required when instances share a database (set KEEL_AUTH_JWT_SECRET)"};
  std::filesystem::path path = auth.key_file;
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string secret;
    std::getline(in, secret);
    if (secret.size() < 32)
      return Error{ErrorCode::kInvalidArgument, fmt::format("{} holds no valid key", path.string())};
    return secret;
  }
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::string secret = RandomToken(32);
  {
    std::ofstream out(path);
    out << secret << "\n";
    if (!out)
      return Error{ErrorCode::kUnavailable, fmt::format("cannot write the signing key to {}", path.string())};
  }
  chmod(path.c_str(), 0600);
  return secret;
}

}  // namespace

IdentityModule::IdentityModule() = default;
IdentityModule::~IdentityModule() = default;

ConfigSchema IdentityModule::ConfigKeys() const { return auth::ConfigKeys(); }

IdentityService& IdentityModule::service() { return *parts_->service; }

void IdentityModule::Start() { parts_->user_list_generations->Start(); }

void IdentityModule::Stop() { parts_->user_list_generations->Stop(); }

Result<void> IdentityModule::Register(ModuleContext& context) {
  const AuthOptions auth = AuthOptions::Read(context.config());
  auto secret = LoadSigningSecret(auth, context.config().Embedded());
  if (!secret) return std::move(secret).error();
  std::optional<SigningKey> previous;
  if (!auth.jwt_previous_secret.empty()) {
    if (auth.jwt_previous_kid.empty() || auth.jwt_previous_kid == auth.jwt_kid)
      return Error{ErrorCode::kInvalidArgument,
                   "auth.jwt_previous_kid must be set and differ from auth.jwt_kid"};
    previous = SigningKey{auth.jwt_previous_kid, auth.jwt_previous_secret};
  }

  parts_ = std::make_unique<IdentityParts>();
  IdentityParts* module = parts_.get();
  module->hasher = std::make_unique<PasswordHasher>(static_cast<unsigned long long>(auth.argon2_ops),
                                                    static_cast<std::size_t>(auth.argon2_memory_kib) * 1024);
  module->jwt =
      std::make_unique<JwtCodec>(SigningKey{auth.jwt_kid, *secret}, previous, auth.issuer, auth.audience);
  IdentityOptions options;
  options.access_ttl_s = auth.access_ttl_s;
  options.refresh_ttl_s = auth.refresh_ttl_s;
  options.failures_before_backoff = auth.login_failures_before_backoff;
  options.require_email_verification = auth.require_email_verification;
  module->user_list_generations =
      std::make_unique<kv::CacheGenerations>(context.kv(), "users", kUserListCacheTtl * 2, context.metrics());
  kv::CacheGenerations* generations = module->user_list_generations.get();
  module->service =
      std::make_unique<IdentityService>(context.database(), context.kv(), *generations, context.pool(),
                                        *module->hasher, *module->jwt, context.clock(), options);
  IdentityService& service = *module->service;

  OtpOptions otp_options;
  otp_options.ttl = auth.otp_ttl;
  otp_options.max_attempts = auth.otp_max_attempts;
  otp_options.resend_interval = auth.otp_resend_interval;
  module->otp = std::make_unique<OtpService>(context.database(), *secret, otp_options);
  module->codes = std::make_unique<AccountCodes>(context.database(), service, *module->otp, context.jobs(),
                                                 context.pool(), *module->hasher, otp_options.ttl);
  AccountCodes& codes = *module->codes;
  service.SetVerificationStarter(
      [&codes](sql::Session& session, const std::string& user_id, const std::string& email) {
        return codes.StartVerification(session, user_id, email);
      },
      [&codes] { codes.WakeMailWorkers(); });
  AddAuthMaintenance(context, codes);

  const http::RouteOptions json{.json_body = true, .rate_policy = "auth"};
  http::Router& router = context.router();
  http::RateLimiter* limiter = context.rate_limiter();
  router.Add(
      "POST", "/api/v1/auth/register", [&service](http::Request& r) { return RegisterUser(service, r); },
      json);
  router.Add(
      "POST", "/api/v1/auth/login",
      [&service, limiter](http::Request& r) { return Login(service, limiter, r); }, json);
  router.Add(
      "POST", "/api/v1/auth/refresh", [&service](http::Request& r) { return Refresh(service, r); }, json);
  router.Add(
      "POST", "/api/v1/auth/logout", [&service](http::Request& r) { return Logout(service, r); }, json);
  router.Add(
      "GET", "/api/v1/auth/me", [&service](http::Request& r) { return Me(service, r); },
      http::RouteOptions{.authenticated = true});
  router.Add(
      "GET", "/api/v1/admin/users", [&service](http::Request& r) { return ListUsers(service, r); },
      http::RouteOptions{.admin_only = true});
  router.Add(
      "PATCH", "/api/v1/admin/users/{id}", [&service](http::Request& r) { return UpdateUser(service, r); },
      http::RouteOptions{.json_body = true, .admin_only = true});
  router.Add(
      "POST", "/api/v1/auth/api-keys", [&service](http::Request& r) { return CreateApiKey(service, r); },
      http::RouteOptions{.json_body = true, .authenticated = true});
  router.Add(
      "GET", "/api/v1/auth/api-keys", [&service](http::Request& r) { return ListApiKeys(service, r); },
      http::RouteOptions{.authenticated = true});
  router.Add(
      "DELETE", "/api/v1/auth/api-keys/{id}",
      [&service](http::Request& r) { return RevokeApiKey(service, r); },
      http::RouteOptions{.authenticated = true});
  AddAccountCodeRoutes(router, codes);
  context.SetAuthenticator([&service](const http::Request& r) { return service.Authenticate(r); });
  return Ok();
}

}  // namespace keel::auth
