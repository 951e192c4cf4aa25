// The request reader on byte streams, driven as a connection drives it, whole and one byte at a time (the
// end-to-end conformance suite, tests/e2e/test_http_conformance.py, covers the same ground over sockets).
#include "http/request_reader.hpp"

#include <gtest/gtest.h>

#include "http/request_stream.hpp"

namespace keel::http {
namespace {

// What the reader made of a connection's bytes: each request's method, path and body, then how it ended.
struct Outcome {
  std::vector<std::string> requests;  // "METHOD path body"
  int refused = 0;                    // the refusal's status, 0 when none
  bool need_more = false;             // the stream ended inside a request
};

Outcome Read(std::string_view bytes, std::size_t piece = 0, std::size_t body_limit = 1 << 20) {
  Outcome outcome;
  StreamEnd end = ReadRequestStream(bytes, piece, 1024, body_limit, [&](Request& request) {
    outcome.requests.push_back(request.method + " " + request.target + " " + request.body);
  });
  outcome.refused = end.refused;
  outcome.need_more = end.cut_short;
  return outcome;
}

// The same stream fed whole and one byte at a time must read the same.
Outcome ReadBothWays(std::string_view bytes) {
  Outcome whole = Read(bytes);
  Outcome bytewise = Read(bytes, 1);
  EXPECT_EQ(whole.requests, bytewise.requests) << bytes;
  EXPECT_EQ(whole.refused, bytewise.refused) << bytes;
  return whole;
}

TEST(RequestReader, ReadsPipelinedRequestsWithBothBodyFramings) {
  auto outcome = ReadBothWays(
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\n\r\n2;ext=1\r\nde\r\nA\r\n0123456789\r\n0\r\n"
      "Trailer: t\r\n\r\n"
      "GET /c?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(outcome.requests,
            (std::vector<std::string>{"POST /a abc", "POST /b de0123456789", "GET /c?q=1 "}));
  EXPECT_EQ(outcome.refused, 0);
}

TEST(RequestReader, TransferCodingsOtherThanAFinalChunkedAreRefusedBeforeTheBody) {
  // The smuggling shape: a coding the server does not take as chunked, and a request hidden in the body.
  const std::string hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n" + hidden).refused,
      400);
  EXPECT_EQ(
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n" + hidden)
          .refused,
      400);
  EXPECT_EQ(ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
                .refused,
            501);
  EXPECT_EQ(
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n")
          .refused,
      400);
  EXPECT_EQ(
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                   "0\r\n\r\n")
          .refused,
      400);
  EXPECT_EQ(ReadBothWays("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").refused, 400);
  EXPECT_EQ(
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                   "\r\n\r\n0\r\n\r\n")
          .refused,
      400);
  auto upper =
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n1\r\nz\r\n0\r\n\r\n");
  EXPECT_EQ(upper.requests, (std::vector<std::string>{"POST /a z"}));
}

TEST(RequestReader, ContentLengthMustBeOneNumber) {
  EXPECT_EQ(ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc").refused, 400);
  EXPECT_EQ(ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
                .refused,
            400);
  EXPECT_EQ(ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc").refused, 400);
  EXPECT_EQ(
      ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n").refused,
      400);
  EXPECT_EQ(ReadBothWays("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 003\r\n\r\nabc").requests,
            (std::vector<std::string>{"POST /a abc"}));
}

TEST(RequestReader, HostIsRequiredOnceAndValid) {
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\n\r\n").refused, 400);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").refused, 400);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\nHost: a b/c@d\r\n\r\n").refused, 400);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\nHost: \r\n\r\n").refused, 400);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").refused, 0);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n").refused, 0);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.0\r\n\r\n").refused, 0);  // HTTP/1.0 may leave it out
}

TEST(RequestReader, TargetsInTheirFourForms) {
  EXPECT_EQ(ReadBothWays("GET http://example.com/health?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").requests,
            (std::vector<std::string>{"GET /health?x=1 "}));
  EXPECT_EQ(ReadBothWays("GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").requests,
            (std::vector<std::string>{"GET / "}));
  EXPECT_EQ(ReadBothWays("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").requests,
            (std::vector<std::string>{"OPTIONS * "}));
  EXPECT_EQ(ReadBothWays("GET * HTTP/1.1\r\nHost: x\r\n\r\n").refused, 400);
  EXPECT_EQ(ReadBothWays("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").refused, 405);
  EXPECT_EQ(ReadBothWays("GET example.com/x HTTP/1.1\r\nHost: x\r\n\r\n").refused, 400);
}

TEST(RequestReader, LimitsAndVersions) {
  EXPECT_EQ(ReadBothWays("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n").refused, 414);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(2000, 'a') + "\r\n\r\n").refused,
            431);
  EXPECT_EQ(ReadBothWays("GET / HTTP/2.0\r\nHost: x\r\n\r\n").refused, 505);
  EXPECT_EQ(ReadBothWays("GET / HTTP/1.x\r\nHost: x\r\n\r\n").refused, 400);
  EXPECT_EQ(
      Read("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n"
           "\r\n",
           0, 8)
          .refused,
      413);
}

TEST(RequestReader, AStreamThatStopsMidRequestSaysSo) {
  EXPECT_EQ(Read("GET / HTTP/1.1\r\nHo").refused, 400);  // a partial head is malformed
  EXPECT_TRUE(Read("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab").need_more);
  auto nothing = Read("");
  EXPECT_TRUE(nothing.requests.empty());
  EXPECT_EQ(nothing.refused, 0);
}

}  // namespace
}  // namespace keel::http
