// Completion webhooks: when a batch with a webhook_url finishes, a durable job POSTs its status document
// there, signed with the owner's secret, and retries with back-off until it is taken (2xx) or its attempts
// run out. Each delivery resolves the target again and refuses private addresses (webhook_target.hpp).
//
// The signature header, as Stripe and others have it: X-Keel-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, "<t>.<body>")>. A receiver recomputes it and checks t is recent.
#pragma once

#include <string>

#include "apps/image2model/batch_store.hpp"
#include "apps/image2model/image2model_config.hpp"
#include "core/async.hpp"

namespace keel::http {
class HttpClient;
class Router;
}  // namespace keel::http
namespace keel::jobs {
class JobKinds;
}
namespace keel::sql {
class Database;
}

namespace keel::image2model {

inline constexpr std::string_view kWebhookJob = "image2model.webhook";

// Each user's signing secret, made on first use.
class WebhookSecrets {
 public:
  WebhookSecrets(sql::Database& database, const Clock& clock) : database_(database), clock_(clock) {}
  Task<Result<std::string>> Get(std::string owner_id);
  Task<Result<std::string>> Rotate(std::string owner_id);

 private:
  sql::Database& database_;
  const Clock& clock_;
};

std::string SignatureHeader(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

// The routes GET /api/v1/webhooks/secret and POST /api/v1/webhooks/secret/rotate.
void AddWebhookSecretRoutes(http::Router& router, WebhookSecrets& secrets);

struct WebhookContext {
  BatchStore& store;
  WebhookSecrets& secrets;
  http::HttpClient& client;
  const Clock& clock;
  Image2ModelOptions options;
};

void AddWebhookJob(jobs::JobKinds& kinds, const WebhookContext& context);

}  // namespace keel::image2model
