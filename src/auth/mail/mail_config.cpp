// The mail.* keys with their defaults, bounds and documentation.
#include "auth/mail/mail_config.hpp"

#include "core/config_keys.hpp"

namespace keel::mail {

ConfigSchema ConfigKeys() {
  using namespace schema;
  return {
      String(
          "mail.smtp_url", "",
          "SMTP server (smtp://host:port, STARTTLS when offered; smtps://host:port). Empty: mail is kept in "
          "the outbox (GET /api/v1/admin/outbox) instead of being sent.",
          [](const ConfigValue& v) -> std::optional<std::string> {
            const auto& s = std::get<std::string>(v);
            if (s.empty() || s.rfind("smtp://", 0) == 0 || s.rfind("smtps://", 0) == 0) return std::nullopt;
            return "must be empty or start with smtp:// or smtps://";
          }),
      String("mail.smtp_username", "", "SMTP user name (usually from KEEL_MAIL_SMTP_USERNAME)."),
      Secret("mail.smtp_password", "SMTP password (usually from KEEL_MAIL_SMTP_PASSWORD).", nullptr),
      Bool("mail.require_tls", false, "Refuse to send unless the SMTP connection is encrypted."),
      Int("mail.timeout_ms", 10000, 100, 600000, "SMTP connect and send timeout."),
      String("mail.from", "keel@localhost", "From address (envelope and header) of mail Keel sends."),
  };
}

MailOptions MailOptions::Read(const Config& c) {
  MailOptions options;
  options.smtp_url = c.String("mail.smtp_url");
  options.smtp_username = c.String("mail.smtp_username");
  options.smtp_password = c.String("mail.smtp_password");
  options.require_tls = c.Bool("mail.require_tls");
  options.timeout = std::chrono::milliseconds(c.Int("mail.timeout_ms"));
  options.from = c.String("mail.from");
  return options;
}

}  // namespace keel::mail
