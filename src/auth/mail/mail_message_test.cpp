// Unit tests of RFC 5322 rendering and address validation: headers, line endings, encoding, injection safety.
#include "auth/mail/mail_message.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace keel::mail {
namespace {

const auto kDate = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

MailMessage Message(std::string subject, std::string text = "Hello") {
  return {"noreply@keel.example", "user@example.com", std::move(subject), std::move(text)};
}

std::vector<std::string> HeaderLines(const std::string& rendered) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = rendered.find("\r\n"); end != std::string::npos && end != start;
       end = rendered.find("\r\n", start)) {
    lines.push_back(rendered.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

std::string Body(const std::string& rendered) { return rendered.substr(rendered.find("\r\n\r\n") + 4); }

std::string HeaderValue(const std::string& rendered, const std::string& name) {
  std::string value;
  bool in_header = false;
  for (const auto& line : HeaderLines(rendered)) {
    if (line.starts_with(' ') || line.starts_with('\t')) {
      if (in_header) value += line;
    } else {
      in_header = line.starts_with(name + ": ");
      if (in_header) value = line.substr(name.size() + 2);
    }
  }
  return value;
}

std::string Base64Decode(std::string_view text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    buffer = (buffer << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

TEST(MailMessage, RendersTheFullHeaderSet) {
  std::string rendered = RenderRfc5322(Message("Your code"), kDate, "abc123@keel.example");
  EXPECT_EQ(rendered,
            "Date: Fri, 15 Jan 2027 08:00:00 +0000\r\n"
            "From: noreply@keel.example\r\n"
            "To: user@example.com\r\n"
            "Subject: Your code\r\n"
            "Message-ID: <abc123@keel.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "Hello\r\n");
}

TEST(MailMessage, FormatsDateInUtcWithZeroPaddedDay) {
  auto date = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'775'000'000'999));
  EXPECT_EQ(HeaderValue(RenderRfc5322(Message("x"), date, "id@x"), "Date"),
            "Tue, 31 Mar 2026 23:33:20 +0000");
  auto early = std::chrono::system_clock::time_point(std::chrono::seconds(86'400 * 5));
  EXPECT_EQ(HeaderValue(RenderRfc5322(Message("x"), early, "id@x"), "Date"),
            "Tue, 06 Jan 1970 00:00:00 +0000");
}

TEST(MailMessage, NormalisesEveryLineEndingToCrlf) {
  std::string rendered = RenderRfc5322(Message("x", "one\ntwo\r\nthree\rfour\n\n"), kDate, "id@x");
  EXPECT_EQ(Body(rendered), "one\r\ntwo\r\nthree\r\nfour\r\n\r\n");
}

TEST(MailMessage, EndsANonEmptyBodyWithCrlf) {
  EXPECT_EQ(Body(RenderRfc5322(Message("x", "no newline"), kDate, "id@x")), "no newline\r\n");
  EXPECT_EQ(Body(RenderRfc5322(Message("x", ""), kDate, "id@x")), "");
}

TEST(MailMessage, LeavesLeadingDotsForTheSmtpClient) {
  EXPECT_EQ(Body(RenderRfc5322(Message("x", ".\n..dots\n"), kDate, "id@x")), ".\r\n..dots\r\n");
}

TEST(MailMessage, KeepsAsciiSubjectPlain) {
  EXPECT_EQ(HeaderValue(RenderRfc5322(Message("Sign-in code: 123456"), kDate, "id@x"), "Subject"),
            "Sign-in code: 123456");
}

TEST(MailMessage, EncodesNonAsciiSubject) {
  EXPECT_EQ(HeaderValue(RenderRfc5322(Message("Café"), kDate, "id@x"), "Subject"), "=?UTF-8?B?Q2Fmw6k=?=");
}

TEST(MailMessage, EncodesSubjectThatLooksLikeAnEncodedWord) {
  EXPECT_EQ(HeaderValue(RenderRfc5322(Message("=?x?="), kDate, "id@x"), "Subject"), "=?UTF-8?B?PT94Pz0=?=");
}

TEST(MailMessage, SplitsLongSubjectIntoShortWordsOfWholeCharacters) {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "é€";  // 2- and 3-byte characters, so naive cuts would split some
  std::string rendered = RenderRfc5322(Message(subject), kDate, "id@x");
  std::string decoded;
  int words = 0;
  bool in_subject = false;
  for (const auto& line : HeaderLines(rendered)) {
    if (line.starts_with("Subject: "))
      in_subject = true;
    else if (!line.starts_with(' '))
      in_subject = false;
    if (!in_subject) continue;
    EXPECT_LE(line.size(), 76u) << line;
    std::size_t begin = line.find("=?UTF-8?B?") + 10;
    std::string word = Base64Decode(line.substr(begin, line.rfind("?=") - begin));
    ASSERT_FALSE(word.empty());
    EXPECT_NE(uint8_t(word.front()) & 0xc0, 0x80) << "word " << words << " starts inside a character";
    decoded += word;
    ++words;
  }
  EXPECT_GT(words, 1);
  EXPECT_EQ(decoded, subject);
}

TEST(MailMessage, CrLfInSubjectCannotInjectAHeader) {
  std::string rendered = RenderRfc5322(Message("Hi\r\nBcc: victim@example.com\n\nbody\rX: y"), kDate, "id@x");
  for (const auto& line : HeaderLines(rendered)) {
    EXPECT_FALSE(line.starts_with("Bcc:")) << line;
    EXPECT_FALSE(line.starts_with("X:")) << line;
  }
  EXPECT_EQ(HeaderValue(rendered, "Subject"), "Hi  Bcc: victim@example.com  body X: y");
  EXPECT_EQ(HeaderLines(rendered).size(), 8u);
  EXPECT_EQ(Body(rendered), "Hello\r\n");
}

TEST(MailMessage, CrLfInAddressesAndMessageIdCannotInjectAHeader) {
  MailMessage message{"a@b.example\r\nBcc: x@y", "c@d.example\nCc: z@w", "s", "t"};
  std::string rendered = RenderRfc5322(message, kDate, "id@x>\r\nX-Evil: 1");
  EXPECT_EQ(HeaderLines(rendered).size(), 8u);
  EXPECT_EQ(HeaderValue(rendered, "From"), "a@b.exampleBcc: x@y");
  EXPECT_EQ(HeaderValue(rendered, "To"), "c@d.exampleCc: z@w");
  EXPECT_EQ(HeaderValue(rendered, "Message-ID"), "<id@xX-Evil:1>");
}

TEST(MailMessage, ValidateAddressAcceptsPlainAddresses) {
  for (std::string_view address : {"user@example.com", "first.last+tag@mail.example.co.uk", "a@b",
                                   "x_y@[10.0.0.1]", "пользователь@пример.рф"})
    EXPECT_TRUE(ValidateAddress(address).ok()) << address;
}

TEST(MailMessage, ValidateAddressRejectsUnsafeOrMalformedAddresses) {
  for (std::string_view address : {"", "user", "@example.com", "user@", "a@b@c", "user @example.com",
                                   "user@example.com\r\nBcc: x@y", "user@example.com\n", "<user@example.com>",
                                   "a@b,c@d", "user\t@example.com", "user@exa\x7fmple.com"}) {
    auto result = ValidateAddress(address);
    ASSERT_FALSE(result.ok()) << address;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(result.error().message.empty());
  }
  EXPECT_FALSE(ValidateAddress(std::string(250, 'a') + "@b.cd").ok());
  EXPECT_TRUE(ValidateAddress(std::string(249, 'a') + "@b.cd").ok());
}

}  // namespace
}  // namespace keel::mail
