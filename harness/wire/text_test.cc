#include "harness/wire/text.h"

#include <gtest/gtest.h>

#include "harness/wire/test_pdus.h"

namespace rpcfit::wire {
namespace {

TEST(Text, NamesFlagsByTheirMeaningForTheType) {
  EXPECT_EQ(co_flags_text(PType::co_cancel, 0x06), "LAST|PENDING_CANCEL");
  EXPECT_EQ(co_flags_text(PType::bind, 0x07), "FIRST|LAST|SUPPORT_HEADER_SIGN");
  EXPECT_EQ(co_flags_text(PType::fault, 0x23), "FIRST|LAST|DID_NOT_EXECUTE");
  EXPECT_EQ(co_flags_text(PType::request, 0), "none");
  EXPECT_EQ(cl_flags1_text(0x06), "LASTFRAG|FRAG");
  EXPECT_EQ(cl_flags2_text(0x02), "CANCEL_PENDING");
}

TEST(Text, OneLinePerPdu) {
  const auto co = testing::sample_co_pdus(ByteOrder::little);
  EXPECT_EQ(to_text(co[10]),
            "fault call_id=4 flags=FIRST|LAST|DID_NOT_EXECUTE ctx=0 cancel_count=1 "
            "status=nca_s_fault_cancel");
  EXPECT_EQ(to_text(co[9]),
            "response call_id=4 flags=FIRST|LAST|PENDING_CANCEL ctx=0 cancel_count=2 "
            "alloc_hint=4 stub=4");
  const auto cl = testing::sample_cl_pdus(ByteOrder::big);
  EXPECT_EQ(to_text(cl[8]), "cl_cancel seqnum=42 fragnum=0 opnum=3 vers=0 cancel_id=7 big_endian");
  EXPECT_EQ(to_text(Pdu{cl[10]}),
            "cancel_ack seqnum=42 fragnum=0 opnum=3 flags2=CANCEL_PENDING vers=0 cancel_id=7 "
            "accepting=1 big_endian");
  for (const auto& p : co)
    EXPECT_EQ(to_text(p).find('\n'), std::string::npos);
}

}  // namespace
}  // namespace rpcfit::wire
