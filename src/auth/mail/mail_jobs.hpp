// The mail module: the `mail.send` job kind (SMTP when mail.smtp_url is set, else the outbox table) and the
// admin's view of the outbox. Nothing sends mail on the request path: callers enqueue MailJob(...), usually
// in the transaction of the write that causes the mail.
#pragma once

#include <string>

#include "jobs/job.hpp"

namespace keel {
class App;
}

namespace keel::mail {

inline constexpr const char* kMailKind = "mail.send";

// The job that sends one message; retried with back-off like any job when the SMTP server refuses it.
jobs::JobRequest MailJob(std::string to, std::string subject, std::string text);

void RegisterMail(App& app);

}  // namespace keel::mail
