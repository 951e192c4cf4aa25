// SMTP delivery through libcurl's easy interface: one handle, one connection, one message per Send.
#include "auth/mail/smtp_sender.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include <curl/curl.h>
#include <fmt/format.h>

namespace keel::mail {
namespace {

CURLcode InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// Feeds the rendered message to curl as the DATA payload.
struct Upload {
  std::string_view rest;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

// Sets options until one fails, so Send checks once instead of after every call.
class Options {
 public:
  explicit Options(CURL* handle) : handle_(handle) {}
  template <class T>
  void Set(CURLoption option, T value) {
    if (status_ == CURLE_OK) status_ = curl_easy_setopt(handle_, option, value);
  }
  CURLcode status() const { return status_; }

 private:
  CURL* handle_;
  CURLcode status_ = CURLE_OK;
};

bool HasSmtpScheme(std::string_view url) {
  auto starts_with = [url](std::string_view prefix) {
    return url.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), url.begin(),
                      [](char a, char b) { return a == (b >= 'A' && b <= 'Z' ? char(b - 'A' + 'a') : b); });
  };
  return starts_with("smtp://") || starts_with("smtps://");
}

// "host:port" from the URL, without any "user:password@" it may carry.
std::string_view RelayOf(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  return url;
}

Error DeliveryFailed(std::string_view url, CURLcode code, const char* detail, long reply) {
  std::string message = fmt::format("SMTP delivery to {} failed: {}", RelayOf(url), curl_easy_strerror(code));
  if (*detail != '\0' && std::strcmp(detail, curl_easy_strerror(code)) != 0)
    message += fmt::format(" ({})", detail);
  if (reply != 0) message += fmt::format("; SMTP reply {}", reply);
  return Error{ErrorCode::kUnavailable, std::move(message)};
}

}  // namespace

SmtpSender::SmtpSender(SmtpSettings settings) : settings_(std::move(settings)) { InitCurlOnce(); }

Result<void> SmtpSender::Send(const MailMessage& message, std::string_view message_id) const {
  if (auto valid = ValidateAddress(message.from); !valid.ok())
    return Error{ErrorCode::kInvalidArgument, "sender: " + valid.error().message};
  if (auto valid = ValidateAddress(message.to); !valid.ok())
    return Error{ErrorCode::kInvalidArgument, "recipient: " + valid.error().message};
  if (!HasSmtpScheme(settings_.url))
    return Error{ErrorCode::kInvalidArgument, "SMTP URL must start with smtp:// or smtps://"};
  if (CURLcode init = InitCurlOnce(); init != CURLE_OK)
    return Error{ErrorCode::kInternal, fmt::format("curl_global_init failed: {}", curl_easy_strerror(init))};

  std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  if (!handle) return Error{ErrorCode::kInternal, "curl_easy_init failed"};
  std::string from = "<" + message.from + ">";
  std::unique_ptr<curl_slist, ListDeleter> recipients(
      curl_slist_append(nullptr, ("<" + message.to + ">").c_str()));
  if (!recipients) return Error{ErrorCode::kInternal, "curl_slist_append failed"};
  std::string rendered = RenderRfc5322(message, std::chrono::system_clock::now(), message_id);
  Upload upload{rendered};
  char detail[CURL_ERROR_SIZE] = {};
  long timeout_ms = static_cast<long>(settings_.timeout.count());

  Options options(handle.get());
  options.Set(CURLOPT_ERRORBUFFER, detail);
  options.Set(CURLOPT_URL, settings_.url.c_str());
  options.Set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  options.Set(CURLOPT_MAIL_FROM, from.c_str());
  options.Set(CURLOPT_MAIL_RCPT, recipients.get());
  options.Set(CURLOPT_UPLOAD, 1L);
  options.Set(CURLOPT_READFUNCTION, &ReadUpload);
  options.Set(CURLOPT_READDATA, &upload);
  options.Set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(rendered.size()));
  if (!settings_.username.empty()) {
    options.Set(CURLOPT_USERNAME, settings_.username.c_str());
    options.Set(CURLOPT_PASSWORD, settings_.password.c_str());
  }
  options.Set(CURLOPT_USE_SSL, static_cast<long>(settings_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  options.Set(CURLOPT_TIMEOUT_MS, timeout_ms);
  options.Set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // Timeouts by signal are unsafe with several threads; curl then relies on the threaded resolver.
  options.Set(CURLOPT_NOSIGNAL, 1L);
  if (options.status() != CURLE_OK)
    return Error{ErrorCode::kInternal,
                 fmt::format("curl rejected an SMTP option: {}", curl_easy_strerror(options.status()))};

  CURLcode code = curl_easy_perform(handle.get());
  if (code == CURLE_OK) return Ok();
  long reply = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &reply);
  return DeliveryFailed(settings_.url, code, detail, reply);
}

}  // namespace keel::mail
