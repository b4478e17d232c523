#include "harness/core/status.h"

#include <gtest/gtest.h>

namespace rpcfit {
namespace {

TEST(Status, NamesMatchWireMd) {
  EXPECT_EQ(rpc_status_name(1818), "RPC_S_CALL_CANCELLED");
  EXPECT_EQ(rpc_status_name(1709), "RPC_S_INVALID_TIMEOUT");
  EXPECT_EQ(rpc_status_name(5), "RPC_S_ACCESS_DENIED");
  EXPECT_FALSE(rpc_status_name(4242).has_value());
}

TEST(Status, ParsesNamesAndNumbers) {
  EXPECT_EQ(parse_rpc_status("RPC_S_NOT_CANCELLED"), 1826);
  EXPECT_EQ(parse_rpc_status("1764"), 1764);
  EXPECT_FALSE(parse_rpc_status("RPC_S_NOPE").has_value());
  EXPECT_FALSE(parse_rpc_status("17x").has_value());
  EXPECT_FALSE(parse_rpc_status("").has_value());
}

TEST(Status, DescribesNcaStatuses) {
  EXPECT_EQ(describe_nca_status(0x1C00000D), "nca_s_fault_cancel");
  EXPECT_EQ(describe_nca_status(0x00000721), "0x00000721");
}

TEST(NcaStatus, ParsesNamesHexAndDecimal) {
  EXPECT_EQ(parse_nca_status("nca_s_fault_cancel"), nca::kFaultCancel);
  EXPECT_EQ(parse_nca_status("0x1C00000D"), nca::kFaultCancel);
  EXPECT_EQ(parse_nca_status("5"), nca::kAccessDenied);
  EXPECT_EQ(parse_nca_status("nca_s_nonsense"), std::nullopt);
  EXPECT_EQ(parse_nca_status("0x"), std::nullopt);
  EXPECT_EQ(parse_nca_status(""), std::nullopt);
}

}  // namespace
}  // namespace rpcfit
