// The mail module: its configuration (mail.*), the `mail.send` job kind (SMTP when mail.smtp_url is set, else
// the outbox table) and the admin's view of the outbox.
#pragma once

#include <memory>

#include "module/module.hpp"

namespace keel::mail {

struct Mailer;

class MailModule final : public Module {
 public:
  MailModule();
  ~MailModule() override;
  std::string_view Name() const override { return "mail"; }
  std::string_view OpenApi() const override;
  ConfigSchema ConfigKeys() const override;
  Result<void> Register(ModuleContext& context) override;

 private:
  std::unique_ptr<Mailer> mailer_;
};

}  // namespace keel::mail
