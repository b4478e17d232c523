#include "drivers/runtime/rpc.h"

#include <array>
#include <utility>

namespace rpcfit::rpc {
namespace {

// Faults that stand for a Win32 status of another value; both directions use this table.
constexpr std::array<std::pair<std::uint32_t, RpcStatus>, 6> kFaultStatus{{
    {nca::kFaultCancel, status::kCallCancelled},
    {nca::kOpRangeError, status::kProcnumOutOfRange},
    {nca::kUnknownInterface, status::kUnknownIf},
    {nca::kServerTooBusy, status::kServerTooBusy},
    {nca::kProtoError, status::kProtocolError},
    {nca::kCommFailure, status::kCommFailure},
}};

constexpr std::uint32_t kNcaFacilityMask = 0xFFFF0000u;

std::string with_detail(RpcStatus status, const std::string& detail) {
  std::string text = status_text(status);
  if (!detail.empty()) text += ": " + detail;
  return text;
}

}  // namespace

RpcException::RpcException(RpcStatus status, const std::string& detail)
    : std::runtime_error(with_detail(status, detail)), status_(status) {}

void RpcRaiseException(RpcStatus status) {
  throw RpcException(status);
}

std::string status_text(RpcStatus status) {
  if (auto name = rpc_status_name(status)) return std::string(*name);
  return std::to_string(status);
}

RpcStatus status_from_fault(std::uint32_t fault_status) {
  for (const auto& [fault, value] : kFaultStatus) {
    if (fault == fault_status) return value;
  }
  // The NCA facilities 0x1C00 and 0x1C01 have no Win32 meaning of their own.
  auto facility = fault_status & kNcaFacilityMask;
  if (facility == 0x1C000000u || facility == 0x1C010000u) return status::kCallFailed;
  return static_cast<RpcStatus>(fault_status);
}

std::uint32_t fault_from_status(RpcStatus status) {
  for (const auto& [fault, value] : kFaultStatus) {
    if (value == status) return fault;
  }
  return static_cast<std::uint32_t>(status);
}

}  // namespace rpcfit::rpc
