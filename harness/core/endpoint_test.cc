#include "harness/core/endpoint.h"

#include <gtest/gtest.h>

namespace rpcfit {
namespace {

TEST(Endpoint, FormatsAndParsesBothFamilies) {
  auto v4 = Endpoint::parse("10.0.0.1:135");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->address.v6);
  EXPECT_EQ(v4->port, 135);
  EXPECT_EQ(v4->to_string(), "10.0.0.1:135");
  auto v6 = Endpoint::parse("[::1]:49152");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address.v6);
  EXPECT_EQ(v6->to_string(), "[::1]:49152");
}

TEST(Endpoint, RejectsMalformedText) {
  EXPECT_FALSE(Endpoint::parse("10.0.0.1"));
  EXPECT_FALSE(Endpoint::parse("10.0.0.1:70000"));
  EXPECT_FALSE(Endpoint::parse("host:80"));
  EXPECT_FALSE(Endpoint::parse("10.0.0.1:8x"));
}

TEST(Timestamp, FormatsNanoseconds) {
  EXPECT_EQ(format_timestamp(Timestamp{1700000000123456789}), "1700000000.123456789");
  EXPECT_EQ(format_timestamp(Timestamp{5}), "0.000000005");
}

}  // namespace
}  // namespace rpcfit
