#include "harness/wire/codec.h"

#include <gtest/gtest.h>

#include <set>

#include "harness/wire/test_pdus.h"
#include "harness/wire/text.h"

namespace rpcfit::wire {
namespace {

using testing::hex;

// What decode() reports for the lengths that encode() computes.
CoPdu with_lengths(CoPdu p, std::size_t size) {
  p.frag_length = static_cast<std::uint16_t>(size);
  p.auth_length = p.auth ? static_cast<std::uint16_t>(p.auth->value.size()) : 0;
  return p;
}

class CoRoundTrip : public ::testing::TestWithParam<ByteOrder> {};

TEST_P(CoRoundTrip, EveryTypeDecodesToWhatWasEncoded) {
  for (const CoPdu& pdu : testing::sample_co_pdus(GetParam())) {
    SCOPED_TRACE(to_text(pdu));
    const Bytes bytes = encode(pdu);
    auto decoded = decode_co(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, with_lengths(pdu, bytes.size()));
    EXPECT_EQ(encode(*decoded), bytes);
    EXPECT_EQ(bytes[4] >> 4, GetParam() == ByteOrder::big ? 0 : 1);
  }
}

TEST(CoRoundTrip, CoversEveryConnectionOrientedType) {
  std::set<PType> seen;
  for (const CoPdu& pdu : testing::sample_co_pdus(ByteOrder::little))
    seen.insert(pdu.type);
  for (int t = 0; t <= 20; ++t) {
    if (is_co_ptype(static_cast<std::uint8_t>(t))) {
      EXPECT_TRUE(seen.count(static_cast<PType>(t))) << ptype_name(static_cast<std::uint8_t>(t));
    }
  }
}

class ClRoundTrip : public ::testing::TestWithParam<ByteOrder> {};

TEST_P(ClRoundTrip, EveryTypeDecodesToWhatWasEncoded) {
  const auto samples = testing::sample_cl_pdus(GetParam());
  ASSERT_EQ(samples.size(), 11u);  // ptypes 0..10
  for (const ClPdu& pdu : samples) {
    SCOPED_TRACE(to_text(pdu));
    const Bytes bytes = encode(pdu);
    auto decoded = decode_cl(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    ClPdu expected = pdu;
    expected.body_length = static_cast<std::uint16_t>(bytes.size() - kClHeaderSize);
    EXPECT_EQ(*decoded, expected);
    EXPECT_EQ(encode(*decoded), bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(BothOrders, CoRoundTrip,
                         ::testing::Values(ByteOrder::little, ByteOrder::big));
INSTANTIATE_TEST_SUITE_P(BothOrders, ClRoundTrip,
                         ::testing::Values(ByteOrder::little, ByteOrder::big));

// The two PDUs recorded from Windows clients (spec/wire.md, from Samba's test vectors).
TEST(WindowsPdus, CoCancelDecodesExactly) {
  const Bytes bytes = hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00");
  auto pdu = decode_co(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  EXPECT_EQ(pdu->type, PType::co_cancel);
  EXPECT_EQ(pdu->flags, pfc::kLastFrag | pfc::kPendingCancel);
  EXPECT_EQ(pdu->frag_length, 16);
  EXPECT_EQ(pdu->auth_length, 0);
  EXPECT_EQ(pdu->call_id, 1u);
  EXPECT_EQ(pdu->order(), ByteOrder::little);
  EXPECT_EQ(std::get<CoOpaque>(pdu->body).body.size(), 0u);
  EXPECT_FALSE(pdu->auth.has_value());
  EXPECT_EQ(to_text(*pdu), "co_cancel call_id=1 flags=LAST|PENDING_CANCEL");
  EXPECT_EQ(encode(*pdu), bytes);
}

TEST(WindowsPdus, OrphanedDecodesExactly) {
  const Bytes bytes = hex("05 00 13 03 10 00 00 00 10 00 00 00 08 00 00 00");
  auto pdu = decode_co(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  EXPECT_EQ(pdu->type, PType::orphaned);
  EXPECT_EQ(pdu->flags, pfc::kFirstFrag | pfc::kLastFrag);
  EXPECT_EQ(pdu->frag_length, 16);
  EXPECT_EQ(pdu->call_id, 8u);
  EXPECT_EQ(to_text(*pdu), "orphaned call_id=8 flags=FIRST|LAST");
  EXPECT_EQ(encode(*pdu), bytes);
}

TEST(BigEndian, RequestDecodes) {
  const Bytes bytes =
      hex("05 00 00 03 00 00 00 00 00 1c 00 00 00 00 00 07"
          "00 00 00 04 00 01 00 05 de ad be ef");
  auto pdu = decode_co(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  EXPECT_EQ(pdu->order(), ByteOrder::big);
  EXPECT_EQ(pdu->call_id, 7u);
  EXPECT_EQ(pdu->frag_length, 28);
  const auto& q = std::get<CoRequest>(pdu->body);
  EXPECT_EQ(q.alloc_hint, 4u);
  EXPECT_EQ(q.context_id, 1);
  EXPECT_EQ(q.opnum, 5);
  EXPECT_EQ(q.stub, hex("de ad be ef"));
  EXPECT_EQ(to_text(*pdu),
            "request call_id=7 flags=FIRST|LAST ctx=1 opnum=5 alloc_hint=4 stub=4 big_endian");
}

TEST(BigEndian, FaultStatusDecodes) {
  const Bytes bytes =
      hex("05 00 03 23 00 00 00 00 00 20 00 00 00 00 00 02"
          "00 00 00 00 00 00 00 00 1c 01 00 02 00 00 00 00");
  auto pdu = decode_co(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  const auto& f = std::get<CoFault>(pdu->body);
  EXPECT_EQ(f.status, 0x1C010002u);
  EXPECT_EQ(pdu->flags, 0x23);
}

TEST(BigEndian, ClHeaderFieldsDecode) {
  // Version 4 request, big-endian drep, seqnum 0x01020304, opnum 9, body 2 bytes.
  Bytes bytes(80, 0);
  bytes[0] = 4;
  bytes[1] = 0;
  bytes[2] = clf1::kLastFrag;
  bytes[4] = kDrepBig;
  bytes[64] = 1, bytes[65] = 2, bytes[66] = 3, bytes[67] = 4;
  bytes[68] = 0, bytes[69] = 9;
  bytes[74] = 0, bytes[75] = 2;
  bytes.push_back(0xaa);
  bytes.push_back(0xbb);
  auto pdu = decode_cl(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  EXPECT_EQ(pdu->order(), ByteOrder::big);
  EXPECT_EQ(pdu->seqnum, 0x01020304u);
  EXPECT_EQ(pdu->opnum, 9);
  EXPECT_EQ(std::get<ClRaw>(pdu->body).body, hex("aa bb"));
  EXPECT_EQ(encode(*pdu), bytes);
}

TEST(Bind, RealBindDecodesItsContexts) {
  const Bytes bytes =
      hex("05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00 01 00 00 00 "
          "00 00 01 00 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac 01 00 00 00 04 5d 88 8a "
          "eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00");
  auto pdu = decode_co(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  const auto& b = std::get<CoBind>(pdu->body);
  EXPECT_EQ(b.max_xmit_frag, 4280);
  ASSERT_EQ(b.contexts.size(), 1u);
  EXPECT_EQ(b.contexts[0].abstract_syntax.uuid.to_string(), "12345778-1234-abcd-ef00-0123456789ac");
  EXPECT_EQ(b.contexts[0].abstract_syntax.version, 1u);
  ASSERT_EQ(b.contexts[0].transfer_syntaxes.size(), 1u);
  EXPECT_EQ(b.contexts[0].transfer_syntaxes[0], ndr_syntax());
  EXPECT_EQ(encode(*pdu), bytes);
}

TEST(Bind, RealBindAckAlignsTheResultList) {
  const Bytes bytes =
      hex("05 00 0c 03 10 00 00 00 38 00 00 00 01 00 00 00 b8 10 b8 10 01 00 00 00 00 00 00 00 "
          "01 00 00 00 00 00 00 00 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00");
  auto pdu = decode_co(bytes);
  ASSERT_TRUE(pdu.ok()) << pdu.error().to_string();
  const auto& b = std::get<CoBindAck>(pdu->body);
  EXPECT_EQ(b.secondary_address, "");
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, 0);
  EXPECT_EQ(b.results[0].transfer_syntax, ndr_syntax());
  EXPECT_EQ(encode(*pdu), bytes);
}

struct Malformed {
  const char* name;
  const char* hex;
  ErrorCode code;
  const char* field;
  std::size_t offset;
};

class MalformedCo : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedCo, GivesTheTypedError) {
  const Malformed& m = GetParam();
  auto pdu = decode_co(hex(m.hex));
  ASSERT_FALSE(pdu.ok());
  EXPECT_EQ(pdu.error().code, m.code) << pdu.error().to_string();
  EXPECT_EQ(pdu.error().field, m.field);
  EXPECT_EQ(pdu.error().offset, m.offset);
  EXPECT_FALSE(pdu.error().to_string().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedCo,
    ::testing::Values(
        Malformed{"truncated_header", "05 00 12 06 10 00 00 00 10 00", ErrorCode::truncated,
                  "header", 0},
        Malformed{"empty", "", ErrorCode::truncated, "header", 0},
        Malformed{"frag_below_header", "05 00 12 06 10 00 00 00 0c 00 00 00 01 00 00 00",
                  ErrorCode::frag_length_below_header, "frag_length", 8},
        Malformed{"frag_beyond_buffer", "05 00 12 06 10 00 00 00 20 00 00 00 01 00 00 00",
                  ErrorCode::frag_length_beyond_buffer, "frag_length", 8},
        Malformed{"auth_beyond_fragment",
                  "05 00 00 03 10 00 00 00 20 00 10 00 01 00 00 00 00 00 00 00 00 00 00 00 "
                  "0a 06 00 00 00 00 00 00",
                  ErrorCode::auth_length_beyond_fragment, "auth_length", 10},
        Malformed{"auth_pad_beyond_body",
                  "05 00 00 03 10 00 00 00 24 00 04 00 01 00 00 00 00 00 00 00 00 00 00 00 "
                  "0a 06 ff 00 00 00 00 00 01 02 03 04",
                  ErrorCode::auth_length_beyond_fragment, "auth_pad_length", 26},
        Malformed{"unknown_ptype", "05 00 15 03 10 00 00 00 10 00 00 00 01 00 00 00",
                  ErrorCode::unknown_ptype, "ptype", 2},
        Malformed{"cl_only_ptype", "05 00 01 03 10 00 00 00 10 00 00 00 01 00 00 00",
                  ErrorCode::unknown_ptype, "ptype", 2},
        Malformed{"wrong_version", "04 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00",
                  ErrorCode::bad_version, "rpc_vers", 0},
        Malformed{"wrong_minor", "05 02 12 06 10 00 00 00 10 00 00 00 01 00 00 00",
                  ErrorCode::bad_minor_version, "rpc_vers_minor", 1},
        Malformed{"bad_drep", "05 00 12 06 20 00 00 00 10 00 00 00 01 00 00 00",
                  ErrorCode::bad_drep, "drep", 4},
        Malformed{"trailing", "05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00 ff",
                  ErrorCode::trailing_bytes, "frag_length", 8},
        Malformed{"request_body_short",
                  "05 00 00 03 10 00 00 00 14 00 00 00 01 00 00 00 00 00 00 00",
                  ErrorCode::body_truncated, "body", 16},
        Malformed{"bind_context_short",
                  "05 00 0b 03 10 00 00 00 24 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00 "
                  "02 00 00 00 00 00 01 00 78 57 34 12",
                  ErrorCode::body_truncated, "p_cont_elem", 28},
        Malformed{"bind_ack_secaddr_beyond_body",
                  "05 00 0c 03 10 00 00 00 1c 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00 "
                  "ff 00 31 00",
                  ErrorCode::body_truncated, "sec_addr", 26}),
    [](const auto& case_info) { return std::string(case_info.param.name); });

TEST(MalformedCl, GivesTheTypedError) {
  auto short_header = decode_cl(Bytes(79, 0));
  ASSERT_FALSE(short_header.ok());
  EXPECT_EQ(short_header.error().code, ErrorCode::truncated);

  ClPdu ok = testing::sample_cl_pdus(ByteOrder::little)[0];
  Bytes bytes = encode(ok);
  Bytes wrong_version = bytes;
  wrong_version[0] = 5;
  EXPECT_EQ(decode_cl(wrong_version).error().code, ErrorCode::bad_version);
  Bytes bad_type = bytes;
  bad_type[1] = 11;
  EXPECT_EQ(decode_cl(bad_type).error().code, ErrorCode::unknown_ptype);
  Bytes too_long = bytes;
  too_long[74] = 0xff;
  auto beyond = decode_cl(too_long);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code, ErrorCode::body_length_beyond_datagram);
  EXPECT_EQ(beyond.error().field, "body_length");
  EXPECT_EQ(beyond.error().offset, 74u);

  ClPdu ack = testing::sample_cl_pdus(ByteOrder::little)[10];
  Bytes short_ack = encode(ack);
  short_ack.pop_back();
  short_ack[74] = 8;
  auto a = decode_cl(short_ack);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::body_truncated);
  EXPECT_EQ(a.error().offset, 80u);
}

TEST(Cl, CancelWithoutBodyAndWideCancelAckAreAccepted) {
  ClPdu cancel = testing::sample_cl_pdus(ByteOrder::little)[8];
  cancel.body = ClCancel{false, 0, 0, {}};
  auto none = decode_cl(encode(cancel));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(std::get<ClCancel>(none->body).has_body);

  ClPdu ack = testing::sample_cl_pdus(ByteOrder::little)[10];
  ack.body = ClCancelAck{0, 7, 1, {0, 0, 0}};  // Samba's IDL: server_is_accepting as 4 bytes
  auto wide = decode_cl(encode(ack));
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(std::get<ClCancelAck>(wide->body).server_is_accepting, 1);
  EXPECT_EQ(std::get<ClCancelAck>(wide->body).cancel_id, 7u);
}

TEST(Cl, FackWithAndWithoutBodyRoundTrips) {
  for (ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    const ClPdu with = testing::sample_cl_pdus(order)[9];
    ASSERT_EQ(with.type, PType::fack);
    const Bytes full = encode(with);
    EXPECT_EQ(full.size(), kClHeaderSize + 16 + 4);  // one selack word
    auto back = decode_cl(full);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_TRUE(std::get<ClFack>(back->body).has_body);
    EXPECT_EQ(back->body, with.body);
    EXPECT_EQ(encode(*back), full);

    // C706 lets older senders send a fack with no body at all.
    ClPdu without = with;
    without.body = ClFack{};
    std::get<ClFack>(without.body).has_body = false;
    const Bytes bare = encode(without);
    EXPECT_EQ(bare.size(), kClHeaderSize);
    auto none = decode_cl(bare);
    ASSERT_TRUE(none.ok()) << none.error().to_string();
    EXPECT_EQ(none->body, without.body);
    EXPECT_EQ(encode(*none), bare);
    EXPECT_NE(to_text(*none).find(" no_body"), std::string::npos) << to_text(*none);
    EXPECT_NE(none->body, with.body) << "has_body takes part in equality";
  }
}

TEST(MalformedCl, FackBodyOfOneToFifteenBytesIsShort) {
  const Bytes full = encode(testing::sample_cl_pdus(ByteOrder::little)[9]);
  for (std::uint16_t n = 1; n < 16; ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(kClHeaderSize + n));
    cut[74] = static_cast<std::uint8_t>(n);
    auto short_fack = decode_cl(cut);
    ASSERT_FALSE(short_fack.ok()) << n;
    EXPECT_EQ(short_fack.error().code, ErrorCode::body_truncated) << n;
    EXPECT_EQ(short_fack.error().field, "fack_body") << n;
  }
}

TEST(Decode, DispatchesOnVersion) {
  auto co = decode(hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00"));
  ASSERT_TRUE(co.ok());
  EXPECT_TRUE(std::holds_alternative<CoPdu>(*co));
  auto cl = decode(encode(testing::sample_cl_pdus(ByteOrder::little)[0]));
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(std::holds_alternative<ClPdu>(*cl));
  EXPECT_EQ(decode(hex("06 00")).error().code, ErrorCode::bad_version);
  EXPECT_EQ(decode(Bytes{}).error().code, ErrorCode::truncated);
}

TEST(Heuristics, RecogniseHeadersAsWiresharkDoes) {
  EXPECT_TRUE(looks_like_co(hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00")));
  EXPECT_FALSE(looks_like_co(hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00")));
  EXPECT_FALSE(looks_like_co(hex("47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a")));
  EXPECT_TRUE(looks_like_cl(encode(testing::sample_cl_pdus(ByteOrder::big)[1])));
  EXPECT_FALSE(looks_like_cl(Bytes(80, 0)));
}

TEST(Encode, RefusesAnOversizedFragment) {
  CoPdu big = testing::sample_co_pdus(ByteOrder::little)[6];
  std::get<CoRequest>(big.body).stub.assign(70000, 0);
  EXPECT_THROW(encode(big), std::length_error);
}

}  // namespace
}  // namespace rpcfit::wire

namespace rpcfit::wire {
namespace {

// Oddities real peers send must survive decode -> encode byte for byte, or the codec would
// rewrite what it reports.
TEST(ExactRoundTrip, BindAckWithoutNulAndBindNakWithoutVersions) {
  const Bytes ack = testing::hex(
      "05 00 0c 03 10 00 00 00 38 00 00 00 01 00 00 00 b8 10 b8 10 01 00 00 00 02 00 61 62 "
      "01 00 00 00 00 00 00 00 04 5d 88 8a eb 1c c9 11 9f e8 08 00 2b 10 48 60 02 00 00 00");
  auto a = decode_co(ack);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(std::get<CoBindAck>(a->body).secondary_address, "ab");
  EXPECT_FALSE(std::get<CoBindAck>(a->body).secondary_address_nul);
  EXPECT_EQ(encode(*a), ack);

  const Bytes nak = testing::hex("05 00 0d 03 10 00 00 00 12 00 00 00 01 00 00 00 04 00");
  auto n = decode_co(nak);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_FALSE(std::get<CoBindNak>(n->body).versions_present);
  EXPECT_EQ(encode(*n), nak);
}

TEST(Text, WireStringsAreEscapedToPrintableAscii) {
  CoPdu ack = testing::sample_co_pdus(ByteOrder::little)[1];
  std::get<CoBindAck>(ack.body).secondary_address = std::string("a\xff\n\"b", 5);
  const std::string text = to_text(ack);
  EXPECT_NE(text.find(R"(sec_addr="a\xff\x0a\x22b")"), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace rpcfit::wire
