// The mail.send handler and GET /api/v1/admin/outbox.
#include "auth/mail/mail_module.hpp"

#include <memory>
#include <optional>

#include <fmt/format.h>

#include "auth/mail/mail_config.hpp"
#include "auth/mail/mail_jobs.hpp"
#include "auth/mail/smtp_sender.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/rfc3339.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"

namespace keel::mail {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view MailModule::OpenApi() const { return OpenApiPart(); }

struct Mailer {
  sql::Database& db;
  const Clock& clock;
  std::string from;
  std::optional<SmtpSender> smtp;  // none: the outbox is the delivery
};

namespace {

Result<nlohmann::json> SendMail(Mailer& module, jobs::JobContext& context) {
  const auto& args = context.args();
  MailMessage message{module.from, args.value("to", std::string()), args.value("subject", std::string()),
                      args.value("text", std::string())};
  if (auto valid = ValidateAddress(message.to); !valid) return std::move(valid).error();
  std::string transport = "outbox";
  if (module.smtp) {
    auto sent = module.smtp->Send(message, fmt::format("keel-job-{}@keel", context.job().id));
    if (!sent) return std::move(sent).error();
    transport = "smtp";
  }
  sql::Value body = transport == "outbox" ? sql::Value(message.text) : sql::Value(nullptr);
  auto recorded = context.Await(module.db.Execute(
      "INSERT INTO outbox (job_id, to_address, subject, body, transport, created_at) VALUES (?, ?, ?, ?, ?, "
      "?) "
      "ON CONFLICT (job_id) DO NOTHING",
      sql::Args(context.job().id, message.to, message.subject, body, transport, module.clock.WallMillis())));
  if (!recorded) return std::move(recorded).error();
  return nlohmann::json{{"transport", transport}, {"to", message.to}};
}

Task<http::Response> ListOutbox(sql::Database& db, http::Request& request) {
  std::vector<http::FieldError> errors;
  auto pagination = http::ParsePagination(request, errors);
  auto to = request.QueryParam("to");
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  std::string where = to ? "WHERE to_address = ?" : "";
  sql::Params params;
  if (to) params.push_back(*to);
  auto count = co_await db.Query("SELECT COUNT(*) FROM outbox " + where, params);
  if (!count) co_return http::ProblemFrom(count.error());
  params.push_back(pagination.per_page);
  params.push_back(pagination.Offset());
  auto rows =
      co_await db.Query("SELECT id, job_id, to_address, subject, body, transport, created_at FROM outbox " +
                            where + " ORDER BY id DESC LIMIT ? OFFSET ?",
                        params);
  if (!rows) co_return http::ProblemFrom(rows.error());
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    auto body = rows->Text(r, 4);
    items.push_back({{"id", rows->Int(r, 0).value_or(0)},
                     {"job_id", rows->Int(r, 1).value_or(0)},
                     {"to", rows->Text(r, 2).value_or("")},
                     {"subject", rows->Text(r, 3).value_or("")},
                     {"text", body ? nlohmann::json(*body) : nlohmann::json(nullptr)},
                     {"transport", rows->Text(r, 5).value_or("")},
                     {"created_at", FormatRfc3339(rows->Int(r, 6).value_or(0))}});
  }
  co_return http::Response::Json(200, nlohmann::json{{"items", std::move(items)},
                                                     {"page", pagination.page},
                                                     {"per_page", pagination.per_page},
                                                     {"total", count->Int(0, 0).value_or(0)}}
                                          .dump());
}

}  // namespace

MailModule::MailModule() = default;
MailModule::~MailModule() = default;

ConfigSchema MailModule::ConfigKeys() const { return mail::ConfigKeys(); }

Result<void> MailModule::Register(ModuleContext& context) {
  const MailOptions mail = MailOptions::Read(context.config());
  mailer_ = std::make_unique<Mailer>(Mailer{context.database(), context.clock(), mail.from, std::nullopt});
  if (!mail.smtp_url.empty())
    mailer_->smtp.emplace(
        SmtpSettings{mail.smtp_url, mail.smtp_username, mail.smtp_password, mail.require_tls, mail.timeout});
  auto kind = jobs::JobKind::Make(kMailKind, "priority", [mailer = mailer_.get()](jobs::JobContext& job) {
    return SendMail(*mailer, job);
  });
  kind.timeout = mail.timeout * 2;
  context.job_kinds().Add(std::move(kind));
  sql::Database& db = context.database();
  context.router().Add(
      "GET", "/api/v1/admin/outbox", [&db](http::Request& r) { return ListOutbox(db, r); },
      http::RouteOptions{.admin_only = true});
  return Ok();
}

}  // namespace keel::mail
