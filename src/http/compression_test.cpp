// Unit tests of gzip and Accept-Encoding parsing.
#include "http/compression.hpp"

#include <gtest/gtest.h>

namespace keel::http {
namespace {

TEST(Compression, ParsesAcceptEncoding) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, gzip;q=0.5, br"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip(""));
}

TEST(Compression, RoundTrips) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "{\"key\":\"value\"},";
  std::string packed = Gzip(text, 6);
  EXPECT_LT(packed.size(), text.size() / 5);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);  // gzip magic
  EXPECT_EQ(Gunzip(packed), text);
}

TEST(Compression, KnowsWhatIsWorthCompressing) {
  EXPECT_TRUE(Compressible("application/json"));
  EXPECT_TRUE(Compressible("application/problem+json"));
  EXPECT_TRUE(Compressible("text/plain; version=0.0.4"));
  EXPECT_FALSE(Compressible("image/png"));
  EXPECT_FALSE(Compressible(""));
}

}  // namespace
}  // namespace keel::http
