// The job that sends mail. Nothing sends mail on the request path: callers enqueue MailJob(...), usually in
// the transaction of the write that causes the mail; the mail module (mail_module.hpp) works it.
#pragma once

#include <string>

#include "jobs/job.hpp"

namespace keel::mail {

inline constexpr const char* kMailKind = "mail.send";

// The job that sends one message; retried with back-off like any job when the SMTP server refuses it.
inline jobs::JobRequest MailJob(std::string to, std::string subject, std::string text) {
  jobs::JobRequest request;
  request.kind = kMailKind;
  request.args = {{"to", std::move(to)}, {"subject", std::move(subject)}, {"text", std::move(text)}};
  return request;
}

}  // namespace keel::mail
