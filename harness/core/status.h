// Win32 RPC status values and NCA fault statuses (spec/wire.md), with their names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpcfit {

using RpcStatus = std::int32_t;

namespace status {
inline constexpr RpcStatus kOk = 0;
inline constexpr RpcStatus kAccessDenied = 5;
inline constexpr RpcStatus kOutOfMemory = 14;
inline constexpr RpcStatus kInvalidArg = 87;
inline constexpr RpcStatus kAsyncCallPending = 997;
inline constexpr RpcStatus kInvalidBinding = 1702;
inline constexpr RpcStatus kProtseqNotSupported = 1703;
inline constexpr RpcStatus kInvalidTimeout = 1709;
inline constexpr RpcStatus kUnknownIf = 1717;  // beyond wire.md's table: bind refusals
inline constexpr RpcStatus kServerUnavailable = 1722;
inline constexpr RpcStatus kServerTooBusy = 1723;
inline constexpr RpcStatus kNoCallActive = 1725;
inline constexpr RpcStatus kCallFailed = 1726;
inline constexpr RpcStatus kCallFailedDne = 1727;
inline constexpr RpcStatus kProtocolError = 1728;
inline constexpr RpcStatus kUnsupportedTransSyn = 1730;
inline constexpr RpcStatus kProcnumOutOfRange = 1745;
inline constexpr RpcStatus kCannotSupport = 1764;
inline constexpr RpcStatus kCallInProgress = 1791;
inline constexpr RpcStatus kCallCancelled = 1818;
inline constexpr RpcStatus kCommFailure = 1820;
inline constexpr RpcStatus kNotCancelled = 1826;
inline constexpr RpcStatus kInvalidAsyncHandle = 1914;
inline constexpr RpcStatus kInvalidAsyncCall = 1915;
}  // namespace status

inline constexpr std::int32_t kCancelInfiniteTimeout = -1;  // RPC_C_CANCEL_INFINITE_TIMEOUT

// Fault statuses as carried in fault and reject PDUs.
namespace nca {
inline constexpr std::uint32_t kFaultCancel = 0x1C00000D;
inline constexpr std::uint32_t kUnspecReject = 0x1C000009;
inline constexpr std::uint32_t kManagerNotEntered = 0x1C00000C;
inline constexpr std::uint32_t kFaultUnspec = 0x1C000012;
inline constexpr std::uint32_t kProtoError = 0x1C01000B;
inline constexpr std::uint32_t kOpRangeError = 0x1C010002;
inline constexpr std::uint32_t kUnknownInterface = 0x1C010003;
inline constexpr std::uint32_t kServerTooBusy = 0x1C010014;
inline constexpr std::uint32_t kCommFailure = 0x1C010001;    // beyond wire.md: CL rejects
inline constexpr std::uint32_t kWrongBootTime = 0x1C010006;  // beyond wire.md: CL rejects
inline constexpr std::uint32_t kNoCallActive = 0x000006BD;
inline constexpr std::uint32_t kAccessDenied = 0x00000005;
}  // namespace nca

// "RPC_S_CALL_CANCELLED"; nullopt for a value with no name here.
std::optional<std::string_view> rpc_status_name(RpcStatus value);
// The reverse: accepts the name ("RPC_S_OK") or a decimal number.
std::optional<RpcStatus> parse_rpc_status(std::string_view text);
// "nca_s_fault_cancel"; nullopt for an unnamed value.
std::optional<std::string_view> nca_status_name(std::uint32_t value);
// Name when known, otherwise 0x%08x.
std::string describe_nca_status(std::uint32_t value);
// The reverse of both: a name ("nca_s_fault_cancel"), 0x hex or decimal.
std::optional<std::uint32_t> parse_nca_status(std::string_view text);

}  // namespace rpcfit
