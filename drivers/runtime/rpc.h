// The Win32-shaped vocabulary of the runtime: RpcException, thread access rights, binding handles,
// and the mapping between raised statuses and fault statuses on the wire.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "harness/core/status.h"

namespace rpcfit::rpc {

// What a failed synchronous call raises, as a MIDL stub raises an RPC exception on Windows.
class RpcException : public std::runtime_error {
 public:
  explicit RpcException(RpcStatus status, const std::string& detail = {});
  RpcStatus status() const { return status_; }

 private:
  RpcStatus status_;
};

// Raises RpcException(status). A manager routine calls it to end its call with a fault:
// RPC_S_CALL_CANCELLED sends nca_s_fault_cancel (CS-SRV-3), RPC_S_ACCESS_DENIED sends fault status
// 5 (CS-SRV-7).
[[noreturn]] void RpcRaiseException(RpcStatus status);

// "RPC_S_CALL_CANCELLED", or the decimal value when it has no name.
std::string status_text(RpcStatus status);

// Thread access rights (spec section 1), as OpenThread takes them.
namespace access {
inline constexpr std::uint32_t kThreadTerminate = 0x0001;
inline constexpr std::uint32_t kThreadSuspendResume = 0x0002;
inline constexpr std::uint32_t kThreadGetContext = 0x0008;
inline constexpr std::uint32_t kThreadSetContext = 0x0010;
inline constexpr std::uint32_t kThreadQueryInformation = 0x0040;
inline constexpr std::uint32_t kThreadAllAccess = 0x001FFFFF;
}  // namespace access

// A thread handle from Runtime::OpenThread; 0 is the null handle. Handles are numbers looked up
// in the runtime's table, so a closed or forged one is refused rather than dereferenced.
using ThreadHandle = std::uint64_t;
using ThreadId = std::uint32_t;

// Base of client bindings and server call bindings, as RPC_BINDING_HANDLE is for both on Windows.
class BindingHandle {
 public:
  virtual ~BindingHandle() = default;
};

// Status a client raises for a fault status received on the wire: nca_s_fault_cancel ->
// RPC_S_CALL_CANCELLED, nca_s_op_rng_error -> RPC_S_PROCNUM_OUT_OF_RANGE, nca_s_unk_if ->
// RPC_S_UNKNOWN_IF, nca_s_server_too_busy -> RPC_S_SERVER_TOO_BUSY, nca_s_proto_error ->
// RPC_S_PROTOCOL_ERROR, nca_s_comm_failure -> RPC_S_COMM_FAILURE, other nca_s_* ->
// RPC_S_CALL_FAILED; a Win32 value (5, 0x6BD) as it is.
RpcStatus status_from_fault(std::uint32_t fault_status);
// The reverse, for a server whose manager raised `status`.
std::uint32_t fault_from_status(RpcStatus status);

}  // namespace rpcfit::rpc
