#include "harness/core/status.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

namespace rpcfit {
namespace {

constexpr std::array<std::pair<RpcStatus, std::string_view>, 24> kRpcNames{{
    {status::kOk, "RPC_S_OK"},
    {status::kAccessDenied, "RPC_S_ACCESS_DENIED"},
    {status::kOutOfMemory, "RPC_S_OUT_OF_MEMORY"},
    {status::kInvalidArg, "RPC_S_INVALID_ARG"},
    {status::kAsyncCallPending, "RPC_S_ASYNC_CALL_PENDING"},
    {status::kInvalidBinding, "RPC_S_INVALID_BINDING"},
    {status::kProtseqNotSupported, "RPC_S_PROTSEQ_NOT_SUPPORTED"},
    {status::kInvalidTimeout, "RPC_S_INVALID_TIMEOUT"},
    {status::kUnknownIf, "RPC_S_UNKNOWN_IF"},
    {status::kServerUnavailable, "RPC_S_SERVER_UNAVAILABLE"},
    {status::kServerTooBusy, "RPC_S_SERVER_TOO_BUSY"},
    {status::kNoCallActive, "RPC_S_NO_CALL_ACTIVE"},
    {status::kCallFailed, "RPC_S_CALL_FAILED"},
    {status::kCallFailedDne, "RPC_S_CALL_FAILED_DNE"},
    {status::kProtocolError, "RPC_S_PROTOCOL_ERROR"},
    {status::kUnsupportedTransSyn, "RPC_S_UNSUPPORTED_TRANS_SYN"},
    {status::kProcnumOutOfRange, "RPC_S_PROCNUM_OUT_OF_RANGE"},
    {status::kCannotSupport, "RPC_S_CANNOT_SUPPORT"},
    {status::kCallInProgress, "RPC_S_CALL_IN_PROGRESS"},
    {status::kCallCancelled, "RPC_S_CALL_CANCELLED"},
    {status::kCommFailure, "RPC_S_COMM_FAILURE"},
    {status::kNotCancelled, "RPC_S_NOT_CANCELLED"},
    {status::kInvalidAsyncHandle, "RPC_S_INVALID_ASYNC_HANDLE"},
    {status::kInvalidAsyncCall, "RPC_S_INVALID_ASYNC_CALL"},
}};

constexpr std::array<std::pair<std::uint32_t, std::string_view>, 12> kNcaNames{{
    {nca::kFaultCancel, "nca_s_fault_cancel"},
    {nca::kUnspecReject, "nca_s_unspec_reject"},
    {nca::kManagerNotEntered, "nca_s_manager_not_entered"},
    {nca::kFaultUnspec, "nca_s_fault_unspec"},
    {nca::kProtoError, "nca_s_proto_error"},
    {nca::kOpRangeError, "nca_s_op_rng_error"},
    {nca::kUnknownInterface, "nca_s_unk_if"},
    {nca::kServerTooBusy, "nca_s_server_too_busy"},
    {nca::kCommFailure, "nca_s_comm_failure"},
    {nca::kWrongBootTime, "nca_s_wrong_boot_time"},
    {nca::kNoCallActive, "no_call_active"},
    {nca::kAccessDenied, "access_denied"},
}};

}  // namespace

std::optional<std::string_view> rpc_status_name(RpcStatus value) {
  for (const auto& [v, name] : kRpcNames) {
    if (v == value) return name;
  }
  return std::nullopt;
}

std::optional<RpcStatus> parse_rpc_status(std::string_view text) {
  for (const auto& [v, name] : kRpcNames) {
    if (name == text) return v;
  }
  RpcStatus value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc() && ptr == end && !text.empty()) return value;
  return std::nullopt;
}

std::optional<std::string_view> nca_status_name(std::uint32_t value) {
  for (const auto& [v, name] : kNcaNames) {
    if (v == value) return name;
  }
  return std::nullopt;
}

std::optional<std::uint32_t> parse_nca_status(std::string_view text) {
  for (const auto& [v, name] : kNcaNames) {
    if (name == text) return v;
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint32_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (ec == std::errc() && ptr == end && !text.empty()) return value;
  return std::nullopt;
}

std::string describe_nca_status(std::uint32_t value) {
  if (auto name = nca_status_name(value)) return std::string(*name);
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", value);
  return buf;
}

}  // namespace rpcfit
