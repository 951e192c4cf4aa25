// Unit tests of client address resolution through trusted proxies.
#include "http/client_ip.hpp"

#include <gtest/gtest.h>

namespace keel::http {
namespace {

Request From(std::string peer, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request request;
  request.remote_address = std::move(peer);
  for (auto& [name, value] : headers) request.headers.Add(name, value);
  return request;
}

TEST(ClientIp, IgnoresForwardingHeadersFromUntrustedPeers) {
  auto request = From("203.0.113.9", {{"X-Forwarded-For", "1.2.3.4"}, {"X-Real-IP", "5.6.7.8"}});
  EXPECT_EQ(ClientIp(request, {}), "203.0.113.9");
  EXPECT_EQ(ClientIp(request, {"10.0.0.1"}), "203.0.113.9");
}

TEST(ClientIp, TakesTheRightmostUntrustedHopFromATrustedProxy) {
  std::vector<std::string> trusted = {"10.0.0.1", "10.0.0.2"};
  // The client wrote "6.6.6.6" itself; nginx appended the real peer 198.51.100.7; 10.0.0.2 forwarded
  // to 10.0.0.1.
  auto request = From("10.0.0.1", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.2"}});
  EXPECT_EQ(ClientIp(request, trusted), "198.51.100.7");
}

TEST(ClientIp, FallsBackToXRealIpThenThePeer) {
  EXPECT_EQ(ClientIp(From("10.0.0.1", {{"X-Real-IP", " 198.51.100.8 "}}), {"10.0.0.1"}), "198.51.100.8");
  EXPECT_EQ(ClientIp(From("10.0.0.1"), {"10.0.0.1"}), "10.0.0.1");
  EXPECT_EQ(ClientIp(From("10.0.0.1", {{"X-Forwarded-For", "10.0.0.1"}}), {"10.0.0.1"}), "10.0.0.1");
}

}  // namespace
}  // namespace keel::http
