#include "http/multipart.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::http {
namespace {

struct Part {
  PartHead head;
  std::string content;
  bool ended = false;
};

struct PartsRead {
  std::vector<Part> parts;
  bool done = false;
  std::string error;  // empty when the body read to its end without one
};

// Feeds `body` in pieces of `piece` bytes, as a connection would, and collects what the reader says.
PartsRead ReadParts(std::string_view body, std::size_t piece, MultipartLimits limits = {}) {
  MultipartReader reader("XyZ", limits);
  PartsRead outcome;
  for (std::size_t at = 0; at <= body.size(); at += piece) {
    if (at < body.size()) reader.Feed(body.substr(at, piece));
    for (auto event = reader.Next(); event.kind != MultipartReader::Kind::kNeedMore; event = reader.Next()) {
      if (event.kind == MultipartReader::Kind::kPartBegin)
        outcome.parts.push_back({reader.head(), "", false});
      if (event.kind == MultipartReader::Kind::kData) outcome.parts.back().content.append(event.data);
      if (event.kind == MultipartReader::Kind::kPartEnd) outcome.parts.back().ended = true;
      if (event.kind == MultipartReader::Kind::kFailed) {
        outcome.error = reader.error().message;
        return outcome;
      }
      if (event.kind == MultipartReader::Kind::kDone) {
        outcome.done = true;
        break;
      }
    }
    if (outcome.done) break;
  }
  if (auto finished = reader.Finish(); !finished) outcome.error = finished.error().message;
  return outcome;
}

// Content that looks like the delimiter without being it, in every way a byte-at-a-time reader could trip.
// (RFC 2046: content never contains the whole delimiter, so "\r\n--XyZ" itself cannot appear.)
const std::string kTricky =
    std::string("a\r\n--XyQ\r\n--Xy\r\r\n-\r\n--X-XyZ") + std::string(1, '\0') + "\xff\r\n";

std::string TwoParts() {
  return "preamble to ignore\r\n"
         "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"format\"\r\n"
         "\r\n"
         "glb\r\n"
         "--XyZ  \r\n"
         "Content-Disposition: form-data; name=\"files\"; filename=\"a \\\"b\\\".jpg\"\r\n"
         "Content-Type: image/jpeg\r\n"
         "\r\n" +
         kTricky +
         "\r\n--XyZ--\r\n"
         "epilogue to ignore";
}

TEST(Multipart, ReadsPartsWhateverTheSizeOfThePiecesFed) {
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u, 64u, 100000u}) {
    SCOPED_TRACE(piece);
    PartsRead outcome = ReadParts(TwoParts(), piece);
    ASSERT_EQ(outcome.error, "");
    ASSERT_TRUE(outcome.done);
    ASSERT_EQ(outcome.parts.size(), 2u);
    EXPECT_EQ(outcome.parts[0].head.name, "format");
    EXPECT_FALSE(outcome.parts[0].head.filename);
    EXPECT_EQ(outcome.parts[0].content, "glb");
    EXPECT_EQ(outcome.parts[1].head.name, "files");
    EXPECT_EQ(outcome.parts[1].head.filename.value_or(""), "a \"b\".jpg");
    EXPECT_EQ(outcome.parts[1].head.content_type, "image/jpeg");
    EXPECT_EQ(outcome.parts[1].content, kTricky);
    EXPECT_TRUE(outcome.parts[1].ended);
  }
}

TEST(Multipart, OpeningBoundaryMayFollowALineEndOrOpenTheBody) {
  std::string body = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--";
  for (std::string prefix : {"", "\r\n"}) {
    PartsRead outcome = ReadParts(prefix + body, 1);
    ASSERT_EQ(outcome.error, "");
    ASSERT_EQ(outcome.parts.size(), 1u);
    EXPECT_EQ(outcome.parts[0].content, "1");
  }
}

TEST(Multipart, EmptyPartAndExtendedFilename) {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.png\"; "
      "filename*=UTF-8''%C3%A9t%C3%A9.png\r\n\r\n\r\n--XyZ--\r\n";
  PartsRead outcome = ReadParts(body, 3);
  ASSERT_EQ(outcome.error, "");
  ASSERT_EQ(outcome.parts.size(), 1u);
  EXPECT_EQ(outcome.parts[0].head.filename.value_or(""), "\xC3\xA9t\xC3\xA9.png");
  EXPECT_EQ(outcome.parts[0].content, "");
}

TEST(Multipart, RefusesMalformedBodies) {
  struct Case {
    std::string body;
    std::string error;
  };
  std::vector<Case> cases = {
      {"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1", "ends before the closing boundary"},
      {"no boundary at all", "ends before the closing boundary"},
      {"--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--", "no Content-Disposition"},
      {"--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--XyZ--", "not form-data"},
      {"--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\n1\r\n--XyZ--", "no name"},
      {"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--XyZ--", "parameters are malformed"},
      {"--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n1\r\n--XyZ--", "folded"},
      {"--XyZ\r\nno colon\r\n\r\n1\r\n--XyZ--", "no name"},
      {"--XyZjunk\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--",
       "not followed by a line end"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    PartsRead outcome = ReadParts(c.body, 4);
    EXPECT_NE(outcome.error.find(c.error), std::string::npos) << outcome.error;
  }
}

TEST(Multipart, LimitsHeadSizeAndPartCount) {
  std::string big_head =
      "--XyZ\r\nContent-Disposition: form-data; name=a\r\nX-Pad: " + std::string(200, 'p') +
      "\r\n\r\n1\r\n--XyZ--";
  EXPECT_NE(ReadParts(big_head, 16, {.max_head_bytes = 100}).error.find("headers are over 100 bytes"),
            std::string::npos);
  std::string three;
  for (int i = 0; i < 3; ++i) three += "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n";
  three += "--XyZ--";
  EXPECT_NE(ReadParts(three, 9, {.max_parts = 2}).error.find("more than 2 parts"), std::string::npos);
  EXPECT_EQ(ReadParts(three, 9, {.max_parts = 3}).error, "");
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=abc").value_or("-"), "abc");
  EXPECT_EQ(MultipartBoundary("Multipart/Form-Data;boundary=\"a b:c\"; charset=x").value_or("-"), "a b:c");
  EXPECT_FALSE(MultipartBoundary("multipart/mixed; boundary=abc"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary="));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a')));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=a\x01"));
  EXPECT_FALSE(MultipartBoundary("application/json"));
}

}  // namespace
}  // namespace keel::http
