#include "apps/image2model/webhook_delivery.hpp"

#include <openssl/hmac.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/image2model/status_document.hpp"
#include "apps/image2model/webhook_target.hpp"
#include "core/log.hpp"
#include "core/random.hpp"
#include "http/outbound/http_client.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "storage/sql/database.hpp"

namespace keel::image2model {

namespace {

http::Response SecretAnswer(const std::string& secret) {
  return http::Response::Json(
      200, nlohmann::json{{"secret", secret},
                          {"header", "X-Keel-Signature"},
                          {"scheme", "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>"}}
               .dump());
}

Result<nlohmann::json> Deliver(WebhookContext& context, jobs::JobContext& job) {
  const std::string batch_id = job.args().value("batch_id", "");
  auto found = job.Await(context.store.Find(batch_id));
  if (!found) return std::move(found).error();
  if (!*found || !(*found)->webhook_url) return nlohmann::json{{"skipped", "no such batch or no webhook"}};
  const BatchRecord& batch = **found;
  http::TrustedProxies allowed;
  if (auto parsed = http::TrustedProxies::Parse(context.options.webhook_allow))
    allowed = std::move(parsed).value();
  auto address = ResolveWebhookAddress(*batch.webhook_url, allowed);
  if (!address) {
    // A refused target stays refused: recorded as the job's result, not retried.
    if (address.error().code == ErrorCode::kPermissionDenied ||
        address.error().code == ErrorCode::kInvalidArgument) {
      log::Warn("webhook refused",
                log::Fields().Add("batch", batch.id).Add("reason", address.error().message));
      return nlohmann::json{{"refused", address.error().message}};
    }
    return std::move(address).error();  // a name that does not resolve now may later
  }
  auto secret = job.Await(context.secrets.Get(batch.owner_id));
  if (!secret) return std::move(secret).error();
  const std::string body =
      nlohmann::json{{"event", "batch.finished"},
                     {"batch", StatusDocument(batch, std::nullopt, context.clock.WallMillis())}}
          .dump();
  const std::int64_t now_s = context.clock.WallMillis() / 1000;
  http::OutboundRequest request;
  request.method = "POST";
  request.url = *batch.webhook_url;
  request.body = body;
  request.pinned_address = *address;
  request.retry = false;  // the job retries, with its own back-off
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", "Keel-Webhooks/1"},
                     {"X-Keel-Event", "batch.finished"},
                     {"X-Keel-Delivery", fmt::format("{}-{}", job.job().id, job.attempt())},
                     {"X-Keel-Signature", SignatureHeader(*secret, now_s, body)}};
  auto answer = context.client.Send(request);
  if (!answer) {
    if (answer.error().code == ErrorCode::kOverloaded || answer.error().code == ErrorCode::kUnavailable) {
      if (context.client.breaker() != http::BreakerState::kClosed ||
          answer.error().code == ErrorCode::kOverloaded) {
        job.Defer(context.client.RetryLater());
        return nlohmann::json{{"deferred", answer.error().message}};
      }
    }
    return std::move(answer).error();
  }
  if (answer->status < 200 || answer->status >= 300)
    return Error{ErrorCode::kUnavailable, fmt::format("the webhook answered {}", answer->status)};
  return nlohmann::json{{"delivered", answer->status}, {"url", *batch.webhook_url}};
}

}  // namespace

std::string SignatureHeader(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  std::string signed_text = fmt::format("{}.{}", unix_seconds, body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), digest, &size);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return fmt::format("t={},v1={}", unix_seconds, hex);
}

Task<Result<std::string>> WebhookSecrets::Get(std::string owner_id) {
  std::string fresh = "whsec_" + RandomToken(24);
  auto made = co_await database_.Execute(
      "INSERT INTO i2m_webhook_secrets (owner_id, secret, created_ms) VALUES (?, ?, ?) "
      "ON CONFLICT (owner_id) DO NOTHING",
      sql::Args(owner_id, fresh, clock_.WallMillis()));
  if (!made) co_return std::move(made).error();
  auto rows = co_await database_.Query("SELECT secret FROM i2m_webhook_secrets WHERE owner_id = ?",
                                       sql::Args(std::move(owner_id)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return Error{ErrorCode::kInternal, "the webhook secret vanished"};
  co_return std::string(rows->Text(0, 0).value_or(""));
}

Task<Result<std::string>> WebhookSecrets::Rotate(std::string owner_id) {
  std::string fresh = "whsec_" + RandomToken(24);
  auto written = co_await database_.Execute(
      "INSERT INTO i2m_webhook_secrets (owner_id, secret, created_ms) VALUES (?, ?, ?) "
      "ON CONFLICT (owner_id) DO UPDATE SET secret = excluded.secret, created_ms = excluded.created_ms",
      sql::Args(std::move(owner_id), fresh, clock_.WallMillis()));
  if (!written) co_return std::move(written).error();
  co_return fresh;
}

void AddWebhookSecretRoutes(http::Router& router, WebhookSecrets& secrets) {
  http::RouteOptions owner{.authenticated = true, .scope = "image2model"};
  router.Add(
      "GET", "/api/v1/webhooks/secret",
      [&secrets](http::Request& request) -> Task<http::Response> {
        auto secret = co_await secrets.Get(request.principal->subject);
        if (!secret) co_return http::ProblemFrom(secret.error());
        co_return SecretAnswer(*secret);
      },
      owner);
  router.Add(
      "POST", "/api/v1/webhooks/secret/rotate",
      [&secrets](http::Request& request) -> Task<http::Response> {
        auto secret = co_await secrets.Rotate(request.principal->subject);
        if (!secret) co_return http::ProblemFrom(secret.error());
        co_return SecretAnswer(*secret);
      },
      owner);
}

void AddWebhookJob(jobs::JobKinds& kinds, const WebhookContext& context) {
  auto shared = std::make_shared<WebhookContext>(context);
  auto deliver = jobs::JobKind::Make(std::string(kWebhookJob), "default",
                                     [shared](jobs::JobContext& job) { return Deliver(*shared, job); });
  deliver.max_attempts = 8;
  deliver.timeout = std::chrono::minutes(2);
  kinds.Add(std::move(deliver));
}

}  // namespace keel::image2model
