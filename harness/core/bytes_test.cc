#include "harness/core/bytes.h"

#include <gtest/gtest.h>

namespace rpcfit {
namespace {

TEST(ByteReader, ReadsBothOrders) {
  const Bytes data{0x01, 0x02, 0x03, 0x04};
  ByteReader le(data, ByteOrder::little);
  std::uint32_t v = 0;
  ASSERT_TRUE(le.u32(v));
  EXPECT_EQ(v, 0x04030201u);
  ByteReader be(data, ByteOrder::big);
  std::uint16_t h = 0;
  ASSERT_TRUE(be.u16(h));
  EXPECT_EQ(h, 0x0102u);
  EXPECT_EQ(be.offset(), 2u);
}

TEST(ByteReader, FailedReadLeavesPositionUnchanged) {
  const Bytes data{0xaa, 0xbb, 0xcc};
  ByteReader r(data, ByteOrder::little);
  std::uint8_t b = 0;
  ASSERT_TRUE(r.u8(b));
  std::uint32_t v = 0;
  EXPECT_FALSE(r.u32(v));
  EXPECT_EQ(r.offset(), 1u);
  ByteView view;
  EXPECT_FALSE(r.bytes(3, view));
  EXPECT_TRUE(r.bytes(2, view));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.skip(1));
}

TEST(ByteWriter, WritesAndPatchesInItsOrder) {
  ByteWriter le(ByteOrder::little);
  le.u16(0x1234);
  le.u32(0xa1b2c3d4);
  le.patch_u16(0, 0xbeef);
  EXPECT_EQ(le.data(), (Bytes{0xef, 0xbe, 0xd4, 0xc3, 0xb2, 0xa1}));
  ByteWriter be(ByteOrder::big);
  be.u32(0x01020304);
  be.zeros(2);
  EXPECT_EQ(be.data(), (Bytes{1, 2, 3, 4, 0, 0}));
}

TEST(Hex, RoundTripsAndRejectsJunk) {
  Bytes out;
  ASSERT_TRUE(from_hex("05 00 12 06", out));
  EXPECT_EQ(out, (Bytes{0x05, 0x00, 0x12, 0x06}));
  EXPECT_EQ(to_hex(out), "05 00 12 06");
  EXPECT_FALSE(from_hex("0g", out));
  EXPECT_FALSE(from_hex("012", out));
  EXPECT_EQ(to_hex(Bytes{1, 2, 3}, 2), "01 02 ...");
}

}  // namespace
}  // namespace rpcfit
