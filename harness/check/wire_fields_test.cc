#include "harness/check/wire_fields.h"

#include <gtest/gtest.h>

#include "harness/wire/codec.h"
#include "harness/wire/test_pdus.h"

namespace rpcfit::run {
namespace {

using wire::PType;
namespace samples = wire::testing;

PduFields fields_of(const wire::Pdu& pdu) {
  auto fields = pdu_fields(wire::encode(pdu));
  EXPECT_TRUE(fields.ok()) << fields.error();
  return fields.ok() ? *fields : PduFields{};
}

const wire::CoPdu& co_sample(PType type, ByteOrder order = ByteOrder::little) {
  static const auto little = samples::sample_co_pdus(ByteOrder::little);
  static const auto big = samples::sample_co_pdus(ByteOrder::big);
  for (const auto& p : order == ByteOrder::little ? little : big) {
    if (p.type == type) return p;
  }
  throw std::logic_error("no sample");
}

const wire::ClPdu& cl_sample(PType type) {
  static const auto all = samples::sample_cl_pdus(ByteOrder::little);
  for (const auto& p : all) {
    if (p.type == type) return p;
  }
  throw std::logic_error("no sample");
}

TEST(PduFields, CoBindHasHeaderFieldsOnly) {
  EXPECT_EQ(
      fields_of(co_sample(PType::bind)),
      (PduFields{{"type", "bind"}, {"flags", "FIRST|LAST|SUPPORT_HEADER_SIGN"}, {"call_id", "1"}}));
}

TEST(PduFields, CoRequest) {
  EXPECT_EQ(fields_of(co_sample(PType::request)), (PduFields{{"type", "request"},
                                                             {"flags", "FIRST|LAST"},
                                                             {"call_id", "4"},
                                                             {"context_id", "0"},
                                                             {"opnum", "5"},
                                                             {"alloc_hint", "8"},
                                                             {"stub_length", "8"}}));
}

TEST(PduFields, CoResponse) {
  EXPECT_EQ(fields_of(co_sample(PType::response)),
            (PduFields{{"type", "response"},
                       {"flags", "FIRST|LAST|PENDING_CANCEL"},
                       {"call_id", "4"},
                       {"context_id", "0"},
                       {"alloc_hint", "4"},
                       {"cancel_count", "2"},
                       {"stub_length", "4"}}));
}

TEST(PduFields, CoFaultNamesItsStatus) {
  EXPECT_EQ(fields_of(co_sample(PType::fault)), (PduFields{{"type", "fault"},
                                                           {"flags", "FIRST|LAST|DID_NOT_EXECUTE"},
                                                           {"call_id", "4"},
                                                           {"context_id", "0"},
                                                           {"alloc_hint", "0"},
                                                           {"cancel_count", "1"},
                                                           {"status", "nca_s_fault_cancel"},
                                                           {"stub_length", "0"}}));
}

TEST(PduFields, UnnamedStatusInHex) {
  wire::CoPdu fault = co_sample(PType::fault);
  std::get<wire::CoFault>(fault.body).status = 0x12345678;
  std::get<wire::CoFault>(fault.body).stub = {1, 2, 3, 4, 5, 6, 7, 8};
  const PduFields f = fields_of(fault);
  EXPECT_EQ(f.at("status"), "0x12345678");
  EXPECT_EQ(f.at("stub_length"), "8");
}

TEST(PduFields, CoCancelFromWireMd) {
  const Bytes bytes = samples::hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00");
  auto f = pdu_fields(bytes);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(*f,
            (PduFields{{"type", "co_cancel"}, {"flags", "LAST|PENDING_CANCEL"}, {"call_id", "1"}}));
}

TEST(PduFields, BothByteOrdersGiveTheSameFields) {
  const auto little = samples::sample_co_pdus(ByteOrder::little);
  const auto big = samples::sample_co_pdus(ByteOrder::big);
  ASSERT_EQ(little.size(), big.size());
  for (std::size_t i = 0; i < little.size(); ++i) {
    EXPECT_EQ(fields_of(little[i]), fields_of(big[i])) << i;
  }
  const auto cl_little = samples::sample_cl_pdus(ByteOrder::little);
  const auto cl_big = samples::sample_cl_pdus(ByteOrder::big);
  for (std::size_t i = 0; i < cl_little.size(); ++i) {
    EXPECT_EQ(fields_of(cl_little[i]), fields_of(cl_big[i])) << i;
  }
}

TEST(PduFields, ClRequest) {
  EXPECT_EQ(fields_of(cl_sample(PType::request)),
            (PduFields{{"type", "request"},
                       {"flags", "IDEMPOTENT"},
                       {"flags2", "none"},
                       {"seqnum", "42"},
                       {"fragnum", "0"},
                       {"activity", "a0b1c2d3-e4f5-0617-2839-4a5b6c7d8e9f"},
                       {"opnum", "3"},
                       {"stub_length", "5"}}));
}

TEST(PduFields, ClBodiesByType) {
  const PduFields fault = fields_of(cl_sample(PType::fault));
  EXPECT_EQ(fault.at("status"), "nca_s_fault_cancel");
  EXPECT_EQ(fault.at("stub_length"), "0");
  const PduFields reject = fields_of(cl_sample(PType::reject));
  EXPECT_EQ(reject.at("status"), "nca_s_unk_if");
  EXPECT_EQ(reject.count("stub_length"), 0u);
  EXPECT_EQ(fields_of(cl_sample(PType::response)).at("stub_length"), "2");
  EXPECT_EQ(fields_of(cl_sample(PType::ping)).count("stub_length"), 0u);
  EXPECT_EQ(fields_of(cl_sample(PType::cl_cancel)).at("cancel_id"), "7");
  const PduFields ack = fields_of(cl_sample(PType::cancel_ack));
  EXPECT_EQ(ack.at("cancel_id"), "7");
  EXPECT_EQ(ack.at("server_is_accepting"), "1");
  EXPECT_EQ(ack.at("flags2"), "CANCEL_PENDING");
  EXPECT_EQ(ack.at("flags"), "none");
  EXPECT_EQ(ack.count("call_id"), 0u);
}

TEST(PduFields, ClCancelWithoutBodyHasNoCancelId) {
  wire::ClPdu cancel = cl_sample(PType::cl_cancel);
  cancel.body = wire::ClCancel{false, 0, 0, {}};
  EXPECT_EQ(fields_of(cancel).count("cancel_id"), 0u);
}

TEST(PduFields, ClFaultStubIsWhatFollowsTheStatus) {
  wire::ClPdu fault = cl_sample(PType::fault);
  fault.body = wire::ClStatus{0x1C010003, {9, 9, 9}};
  const PduFields f = fields_of(fault);
  EXPECT_EQ(f.at("status"), "nca_s_unk_if");
  EXPECT_EQ(f.at("stub_length"), "3");
}

TEST(PduFields, UndecodableBytesNameFieldAndOffset) {
  // frag_length 32 in a 16-byte buffer
  const Bytes bytes = samples::hex("05 00 12 06 10 00 00 00 20 00 00 00 01 00 00 00");
  auto f = pdu_fields(bytes);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error(), wire::decode(bytes).error().to_string());
  EXPECT_EQ(f.error().rfind("frag_length_beyond_buffer: frag_length at offset 8: ", 0), 0u)
      << f.error();
  EXPECT_FALSE(pdu_fields(samples::hex("05 00 12")).ok());
  EXPECT_FALSE(pdu_fields(Bytes{}).ok());
}

TEST(PduFields, EveryFieldProducedIsKnown) {
  for (const auto& p : samples::sample_co_pdus(ByteOrder::little)) {
    for (const auto& [name, value] : fields_of(p))
      EXPECT_TRUE(is_pdu_field(name)) << name;
  }
  for (const auto& p : samples::sample_cl_pdus(ByteOrder::little)) {
    for (const auto& [name, value] : fields_of(p))
      EXPECT_TRUE(is_pdu_field(name)) << name;
  }
}

TEST(PduFieldNames, TheFixedList) {
  EXPECT_TRUE(is_pdu_field("cancel_count"));
  EXPECT_TRUE(is_pdu_field("server_is_accepting"));
  EXPECT_FALSE(is_pdu_field("pfc_flags"));
  EXPECT_FALSE(is_pdu_field("Type"));
  EXPECT_FALSE(is_pdu_field(""));
  EXPECT_EQ(pdu_field_names(),
            "type, flags, flags2, call_id, seqnum, fragnum, activity, context_id, opnum, "
            "alloc_hint, cancel_count, status, cancel_id, server_is_accepting, stub_length");
}

}  // namespace
}  // namespace rpcfit::run
