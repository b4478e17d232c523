#include "harness/fault/corrupt.h"

#include <gtest/gtest.h>

#include "harness/wire/codec.h"

namespace rpcfit::fault {
namespace {

wire::CoPdu co_cancel(ByteOrder order) {
  wire::CoPdu p;
  p.type = wire::PType::co_cancel;
  p.flags = wire::pfc::kLastFrag | wire::pfc::kPendingCancel;
  p.call_id = 1;
  p.drep = {order == ByteOrder::big ? wire::kDrepBig : wire::kDrepLittle, 0, 0, 0};
  return p;
}

wire::ClPdu cl_cancel(ByteOrder order) {
  wire::ClPdu p;
  p.type = wire::PType::cl_cancel;
  p.drep = {order == ByteOrder::big ? wire::kDrepBig : wire::kDrepLittle, 0, 0};
  p.seqnum = 5;
  p.body = wire::ClCancel{true, 0, 9, {}};
  return p;
}

class CorruptBothOrders : public ::testing::TestWithParam<ByteOrder> {};

TEST_P(CorruptBothOrders, CoCallIdIsWrittenInThePdusByteOrder) {
  Bytes pdu = wire::encode(co_cancel(GetParam()));
  ASSERT_TRUE(corrupt_field(pdu, "call_id", 0x01020304).ok());
  auto decoded = wire::decode_co(pdu);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->call_id, 0x01020304u);
  EXPECT_EQ(decoded->order(), GetParam());
  const std::uint32_t raw =
      GetParam() == ByteOrder::big ? load_be32(pdu.data() + 12) : load_le32(pdu.data() + 12);
  EXPECT_EQ(raw, 0x01020304u);
}

TEST_P(CorruptBothOrders, CoFlagsAndFragLength) {
  Bytes pdu = wire::encode(co_cancel(GetParam()));
  ASSERT_TRUE(corrupt_field(pdu, "pfc_flags", wire::pfc::kFirstFrag).ok());
  auto decoded = wire::decode_co(pdu);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->flags, wire::pfc::kFirstFrag);

  ASSERT_TRUE(corrupt_field(pdu, "frag_length", 7).ok());
  const std::uint16_t raw =
      GetParam() == ByteOrder::big ? load_be16(pdu.data() + 8) : load_le16(pdu.data() + 8);
  EXPECT_EQ(raw, 7u);
  EXPECT_FALSE(wire::decode_co(pdu).ok());  // 7 is below the 16-byte header
}

TEST_P(CorruptBothOrders, ClSeqnumFragnumLenAndFlags) {
  Bytes pdu = wire::encode(cl_cancel(GetParam()));
  ASSERT_TRUE(corrupt_field(pdu, "seqnum", 0xdeadbeef).ok());
  ASSERT_TRUE(corrupt_field(pdu, "fragnum", 0x0102).ok());
  ASSERT_TRUE(corrupt_field(pdu, "flags2", wire::clf2::kCancelPending).ok());
  ASSERT_TRUE(corrupt_field(pdu, "serial_hi", 0x33).ok());
  auto decoded = wire::decode_cl(pdu);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->seqnum, 0xdeadbeefu);
  EXPECT_EQ(decoded->fragnum, 0x0102u);
  EXPECT_EQ(decoded->flags2, wire::clf2::kCancelPending);
  EXPECT_EQ(decoded->serial_hi, 0x33u);

  ASSERT_TRUE(corrupt_field(pdu, "len", 200).ok());
  const std::uint16_t raw =
      GetParam() == ByteOrder::big ? load_be16(pdu.data() + 74) : load_le16(pdu.data() + 74);
  EXPECT_EQ(raw, 200u);
  EXPECT_FALSE(wire::decode_cl(pdu).ok());  // the body length now runs past the datagram
}

TEST_P(CorruptBothOrders, PtypeTurnsOnePduIntoAnother) {
  Bytes pdu = wire::encode(co_cancel(GetParam()));
  ASSERT_TRUE(corrupt_field(pdu, "ptype", static_cast<std::uint64_t>(wire::PType::orphaned)).ok());
  auto decoded = wire::decode_co(pdu);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type, wire::PType::orphaned);
}

std::string order_name(const ::testing::TestParamInfo<ByteOrder>& param) {
  return param.param == ByteOrder::big ? "big" : "little";
}

INSTANTIATE_TEST_SUITE_P(Orders, CorruptBothOrders,
                         ::testing::Values(ByteOrder::little, ByteOrder::big), order_name);

TEST(Corrupt, DrepTakesItsBytesInWireOrder) {
  Bytes pdu = wire::encode(co_cancel(ByteOrder::little));
  ASSERT_TRUE(corrupt_field(pdu, "drep", 0x00000000).ok());
  EXPECT_EQ(to_hex(ByteView(pdu).subspan(4, 4)), "00 00 00 00");
  ASSERT_TRUE(corrupt_field(pdu, "drep", 0x10000001).ok());
  EXPECT_EQ(to_hex(ByteView(pdu).subspan(4, 4)), "10 00 00 01");

  Bytes cl = wire::encode(cl_cancel(ByteOrder::big));
  ASSERT_TRUE(corrupt_field(cl, "drep", 0x100000).ok());
  EXPECT_EQ(to_hex(ByteView(cl).subspan(4, 4)), "10 00 00 00");  // byte 7 is serial_hi
  EXPECT_FALSE(corrupt_field(cl, "drep", 0x10000000).ok());      // CL drep is 3 bytes
}

TEST(Corrupt, RefusesAndLeavesTheBytesAlone) {
  const Bytes co = wire::encode(co_cancel(ByteOrder::little));
  const Bytes cl = wire::encode(cl_cancel(ByteOrder::little));
  struct Case {
    Bytes pdu;
    const char* field;
    std::uint64_t value;
    const char* message;
  };
  const std::vector<Case> cases{
      {co, "seqnum", 1, "corrupt: CO PDUs have no field \"seqnum\""},
      {cl, "frag_length", 1, "corrupt: CL PDUs have no field \"frag_length\""},
      {co, "ptype", 256, "corrupt: 256 does not fit the 1-byte field ptype"},
      {co, "nonsense", 1, "corrupt: CO PDUs have no field \"nonsense\""},
      {Bytes(co.begin(), co.begin() + 10), "call_id", 1,
       "corrupt: a 10-byte CO PDU is shorter than its 16-byte header"},
      {Bytes(cl.begin(), cl.begin() + 79), "seqnum", 1,
       "corrupt: a 79-byte CL PDU is shorter than its 80-byte header"},
      {Bytes{6, 0, 0}, "ptype", 1, "corrupt: rpc_vers 6 is neither 5 (CO) nor 4 (CL)"},
      {Bytes{}, "ptype", 1, "corrupt: empty PDU"},
  };
  for (const auto& c : cases) {
    Bytes pdu = c.pdu;
    auto r = corrupt_field(pdu, c.field, c.value);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error(), c.message);
    EXPECT_EQ(pdu, c.pdu);
  }
}

TEST(Corrupt, FieldTable) {
  EXPECT_EQ(header_field_names(),
            "rpc_vers, rpc_vers_minor, ptype, pfc_flags, drep, frag_length, auth_length, "
            "call_id, flags1, flags2, serial_hi, seqnum, len, fragnum");
  EXPECT_TRUE(is_header_field("len"));
  EXPECT_FALSE(is_header_field("activity"));
  EXPECT_EQ(header_field_max("call_id"), 0xffffffffu);
  EXPECT_EQ(header_field_max("drep"), 0xffffffffu);
  EXPECT_EQ(header_field_max("frag_length"), 0xffffu);
  EXPECT_EQ(header_field_max("flags1"), 0xffu);
  EXPECT_EQ(cl_header_field("seqnum")->offset, 64u);
  EXPECT_FALSE(co_header_field("len").has_value());
}

}  // namespace
}  // namespace rpcfit::fault
