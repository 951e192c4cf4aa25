// Unit tests of client address resolution through trusted proxies.
#include "http/client_ip.hpp"

#include <gtest/gtest.h>

namespace keel::http {
namespace {

TrustedProxies Trust(const std::vector<std::string>& entries) {
  auto parsed = TrustedProxies::Parse(entries);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? std::move(parsed).value() : TrustedProxies();
}

Request From(std::string peer, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request request;
  request.remote_address = std::move(peer);
  for (auto& [name, value] : headers) request.headers.Add(name, value);
  return request;
}

TEST(ClientIp, IgnoresForwardingHeadersFromUntrustedPeers) {
  auto request = From("203.0.113.9", {{"X-Forwarded-For", "1.2.3.4"}, {"X-Real-IP", "5.6.7.8"}});
  EXPECT_EQ(ClientIp(request, Trust({})), "203.0.113.9");
  EXPECT_EQ(ClientIp(request, Trust({"10.0.0.1"})), "203.0.113.9");
}

TEST(ClientIp, TakesTheRightmostUntrustedHopFromATrustedProxy) {
  auto trusted = Trust({"10.0.0.1", "10.0.0.2"});
  // The client wrote "6.6.6.6" itself; nginx appended the real peer 198.51.100.7; 10.0.0.2 forwarded
  // to 10.0.0.1.
  auto request = From("10.0.0.1", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.2"}});
  EXPECT_EQ(ClientIp(request, trusted), "198.51.100.7");
}

TEST(ClientIp, FallsBackToXRealIpThenThePeer) {
  auto trusted = Trust({"10.0.0.1"});
  EXPECT_EQ(ClientIp(From("10.0.0.1", {{"X-Real-IP", " 198.51.100.8 "}}), trusted), "198.51.100.8");
  EXPECT_EQ(ClientIp(From("10.0.0.1"), trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp(From("10.0.0.1", {{"X-Forwarded-For", "10.0.0.1"}}), trusted), "10.0.0.1");
}

TEST(ClientIp, NetworksTrustEveryAddressInThem) {
  // An ingress controller's pods get addresses from the pod network.
  auto trusted = Trust({"10.244.0.0/16", "fd00:10::/32", "192.0.2.1"});
  EXPECT_TRUE(trusted.Contains("10.244.0.1"));
  EXPECT_TRUE(trusted.Contains("10.244.255.255"));
  EXPECT_FALSE(trusted.Contains("10.245.0.1"));
  EXPECT_TRUE(trusted.Contains("fd00:10:abcd::7"));
  EXPECT_FALSE(trusted.Contains("fd00:11::7"));
  EXPECT_TRUE(trusted.Contains("192.0.2.1"));
  EXPECT_FALSE(trusted.Contains("192.0.2.2"));
  EXPECT_TRUE(trusted.Contains("::ffff:10.244.3.4"));  // IPv4-mapped, as a dual-stack socket reports it
  EXPECT_FALSE(trusted.Contains("not an address"));
  EXPECT_FALSE(trusted.Contains(""));
  auto request = From("10.244.7.9", {{"X-Forwarded-For", "198.51.100.7, 10.244.1.1"}});
  EXPECT_EQ(ClientIp(request, trusted), "198.51.100.7");
}

TEST(ClientIp, PrefixesNeedNotFallOnByteBoundaries) {
  auto trusted = Trust({"172.16.0.0/12", "0.0.0.0/0"});
  EXPECT_TRUE(Trust({"172.16.0.0/12"}).Contains("172.31.255.1"));
  EXPECT_FALSE(Trust({"172.16.0.0/12"}).Contains("172.32.0.1"));
  EXPECT_TRUE(trusted.Contains("8.8.8.8"));       // /0: every IPv4 address
  EXPECT_FALSE(trusted.Contains("2001:db8::1"));  // but no IPv6 one
}

TEST(ClientIp, MappedNetworksTakeIPv6Prefixes) {
  auto trusted = Trust({"::ffff:10.0.0.0/104"});  // = 10.0.0.0/8
  EXPECT_TRUE(trusted.Contains("10.200.0.1"));
  EXPECT_TRUE(trusted.Contains("::ffff:10.200.0.1"));
  EXPECT_FALSE(trusted.Contains("11.0.0.1"));
  EXPECT_FALSE(TrustedProxies::Parse({"::ffff:10.0.0.0/8"}));  // below the 96 mapping bits
}

TEST(ClientIp, OnlyAddressesBecomeTheClient) {
  auto trusted = Trust({"10.0.0.1"});
  EXPECT_EQ(ClientIp(From("10.0.0.1", {{"X-Forwarded-For", "pick-my-key"}}), trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp(From("10.0.0.1", {{"X-Real-IP", "pick-my-key"}}), trusted), "10.0.0.1");
}

TEST(ClientIp, EntriesThatAreNoAddressOrNetworkAreRefusedByName) {
  for (const char* bad : {"10.0.0.0/33", "nginx", "10.0.0.1/", "10.0.0.0/8x", "::/129", "10.0.0.0/-1",
                          "10.0.0.0/-0", "10.0.0.0/+8", ""}) {
    auto parsed = TrustedProxies::Parse({"127.0.0.1", bad});
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().message.find(std::string("\"") + bad + "\""), std::string::npos)
        << parsed.error().message;
  }
}

}  // namespace
}  // namespace keel::http
