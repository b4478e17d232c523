// rpcfit's own test interface, version 1.0. `rpcfit call` uses it when no --if is given and
// `rpcfit serve` serves it; tests and the benchmark use it too.
//
//   opnum 0  echo         returns its input unchanged (with no input: a null call)
//   opnum 1  cancellable  waits up to N ms (input: NDR uint32, scenario time) for a cancel,
//                         polling through ServerCall; raises RPC_S_CALL_CANCELLED when one
//                         arrives, otherwise returns its input
//   opnum 2  deaf         sleeps N ms ignoring cancels, then returns its input
#pragma once

#include "drivers/runtime/server.h"

namespace rpcfit::rpc {

// aa4b9a65-9bbb-456a-9fad-4a7ad417b890 v1.0
wire::SyntaxId test_interface_id();

namespace test_op {
inline constexpr std::uint16_t kEcho = 0;
inline constexpr std::uint16_t kCancellable = 1;
inline constexpr std::uint16_t kDeaf = 2;
}  // namespace test_op

InterfaceRegistration test_interface();

// NDR uint32 input for opnums 1 and 2.
Bytes milliseconds_input(std::uint32_t ms);

}  // namespace rpcfit::rpc
