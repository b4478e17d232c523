// The interface `rpcfit serve` offers: rpcfit's test interface (the UUID and version 1.0 of
// rpc::test_interface_id(), the default of `rpcfit call`), whose opnums select behaviours, so that
// any DCE/RPC client can be tried against faulty servers. A number some opnums read is the first
// four input bytes, little-endian (absent: 0); every opnum that answers echoes its input.
//
//   0 normal                     4 cancel-aware, returns normally on a cancel (as 3)
//   1 slow: delay in ms          5 deny (status 5)
//   2 hung                       6 crash: drops the connection after this many bytes of the
//   response 3 cancel-aware, raises the cancel; without one answers after the number's ms (0:
//   never)
#pragma once

#include <memory>

#include "drivers/server/behaviour.h"

namespace rpcfit::server {

namespace serve_op {
inline constexpr std::uint16_t kNormal = 0;
inline constexpr std::uint16_t kSlow = 1;
inline constexpr std::uint16_t kHung = 2;
inline constexpr std::uint16_t kCancelRaise = 3;
inline constexpr std::uint16_t kCancelReturn = 4;
inline constexpr std::uint16_t kDeny = 5;
inline constexpr std::uint16_t kCrash = 6;
}  // namespace serve_op

// The behaviour an opnum of the serve interface plays for `input`; nullopt for another opnum.
std::optional<BehaviourSpec> serve_behaviour(std::uint16_t opnum, ByteView input);

rpc::InterfaceRegistration serve_interface(std::shared_ptr<EventRecorder> recorder);

}  // namespace rpcfit::server
