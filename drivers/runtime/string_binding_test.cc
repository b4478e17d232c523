#include "drivers/runtime/string_binding.h"

#include <gtest/gtest.h>

#include "drivers/runtime/rpc.h"

namespace rpcfit::rpc {
namespace {

TEST(StringBinding, ParsesEachProtocolSequence) {
  auto tcp = parse_string_binding("ncacn_ip_tcp:127.0.0.1[49731]");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->protseq, transport::Protseq::ncacn_ip_tcp);
  EXPECT_EQ(tcp->network_address, "127.0.0.1");
  EXPECT_EQ(tcp->endpoint, "49731");

  auto np = parse_string_binding(R"(ncacn_np:[\\pipe\\rpcfit])");
  ASSERT_TRUE(np.ok());
  EXPECT_EQ(np->protseq, transport::Protseq::ncacn_np);
  EXPECT_EQ(np->network_address, "");
  EXPECT_EQ(np->endpoint, R"(\\pipe\\rpcfit)");

  auto lrpc = parse_string_binding("ncalrpc:[my-endpoint]");
  ASSERT_TRUE(lrpc.ok());
  EXPECT_EQ(lrpc->protseq, transport::Protseq::ncalrpc);
  EXPECT_EQ(lrpc->endpoint, "my-endpoint");

  auto http = parse_string_binding("ncacn_http:127.0.0.1[593]");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->protseq, transport::Protseq::ncacn_http);
}

TEST(StringBinding, ReadsAnObjectUuidAndOptions) {
  auto b = parse_string_binding(
      "12345678-1234-1234-1234-123456789abc@ncacn_ip_tcp:10.0.0.1[135,Security=none,x=1]");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->object_uuid, "12345678-1234-1234-1234-123456789abc");
  EXPECT_EQ(b->endpoint, "135");
  EXPECT_EQ(b->options.at("Security"), "none");
  EXPECT_EQ(b->to_string(),
            "12345678-1234-1234-1234-123456789abc@ncacn_ip_tcp:10.0.0.1[135,Security=none,x=1]");
}

TEST(StringBinding, AnUnknownProtocolSequenceIsNotSupported) {
  for (const char* text : {"ncadg_ipx:host[5000]", "ncacn_spx:host[5000]", "foo:[1]"}) {
    auto b = parse_string_binding(text);
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_EQ(b.error(), status::kProtseqNotSupported) << text;
  }
}

TEST(StringBinding, MalformedTextIsAnInvalidBinding) {
  for (const char* text :
       {"", "ncacn_ip_tcp", "ncacn_ip_tcp:127.0.0.1[135", "ncacn ip:[1]",
        "ncacn_ip_tcp:127.0.0.1[1[2]]", "not-a-uuid@ncacn_ip_tcp:h[1]", "ncacn_ip_tcp:h[1,novalue]",
        "ncacn_ip_tcp:h[1]x", "ncacn_ip_tcp:h\n[1]"}) {
    auto b = parse_string_binding(text);
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_EQ(b.error(), status::kInvalidBinding) << text;
  }
}

TEST(FaultMapping, FaultsMapToTheStatusesAClientRaises) {
  EXPECT_EQ(status_from_fault(nca::kFaultCancel), status::kCallCancelled);
  EXPECT_EQ(status_from_fault(nca::kOpRangeError), status::kProcnumOutOfRange);
  EXPECT_EQ(status_from_fault(nca::kUnknownInterface), status::kUnknownIf);
  EXPECT_EQ(status_from_fault(nca::kAccessDenied), status::kAccessDenied);
  EXPECT_EQ(status_from_fault(nca::kNoCallActive), status::kNoCallActive);
  EXPECT_EQ(status_from_fault(nca::kFaultUnspec), status::kCallFailed);
  EXPECT_EQ(fault_from_status(status::kCallCancelled), nca::kFaultCancel);
  EXPECT_EQ(fault_from_status(status::kAccessDenied), 5u);
  EXPECT_EQ(fault_from_status(status::kProcnumOutOfRange), nca::kOpRangeError);
}

TEST(RpcException, CarriesItsStatusAndName) {
  try {
    RpcRaiseException(status::kCallCancelled);
    FAIL() << "did not raise";
  } catch (const RpcException& e) {
    EXPECT_EQ(e.status(), status::kCallCancelled);
    EXPECT_STREQ(e.what(), "RPC_S_CALL_CANCELLED");
  }
  EXPECT_EQ(status_text(424242), "424242");
}

}  // namespace
}  // namespace rpcfit::rpc
