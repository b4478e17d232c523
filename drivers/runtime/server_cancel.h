// What a server call knows of its cancels (ServerCall::State, under the ServerCall's lock), as
// pure transitions; tested with plain values.
//
// The call's life (ServerCall::State::active, true until end() once the routine has returned and
// its cancels are counted) stays a flag of its own: no transition below reads or changes it, and
// it changes nothing of them; it only makes RpcServerTestCancel answer RPC_S_NO_CALL_ACTIVE. So
// every state below occurs with the call active or ended. cancel_count counts the co_cancel (or
// cl_cancel) PDUs beside it.
#pragma once

#include <cstdint>

namespace rpcfit::rpc {

// clang-format off
// Transitions (state, event -> state: effect [rule]):
//   none               cancel  -> arrived            a co_cancel or cl_cancel (counted), or a first
//                                                    fragment with PENDING_CANCEL (not counted)
//                                                    [CS-SRV-1, CS-PEND-1]
//   none               look    -> none               RpcTestCancel: RPC_S_NOT_CANCELLED,
//                                                    RpcServerTestCancel: RPC_S_CALL_IN_PROGRESS,
//                                                    wait_for_cancel: false [CS-SRV-1, CS-SRV-2]
//   arrived            look    -> observed           RPC_S_OK, RPC_S_OK, true [CS-SRV-1, CS-SRV-2]
//   orphaned           look    -> orphaned_observed  likewise: the routine learns of it as a cancel
//   none, arrived      orphan  -> orphaned           an orphaned PDU, or the connection lost
//                                                    (decision, README) [CS-SRV-5]
//   observed           orphan  -> orphaned_observed  likewise
//   Every other pair changes nothing: a later cancel is only counted; a look once observed and an
//   orphan once orphaned are no news.
// What the server does with the routine's result: orphaned, orphaned_observed: nothing is sent
// [CS-SRV-5, CS-STUB-1]; arrived: the reply carries PENDING_CANCEL [CS-SRV-4] (CANCEL_PENDING on
// a datagram, which sets it too for a cl_cancel acked after the routine's last look [CS-DG-4]);
// none, observed: a plain reply.
// clang-format on
enum class ServerCancel : std::uint8_t { none, arrived, observed, orphaned, orphaned_observed };

ServerCancel on_cancel(ServerCancel s);
ServerCancel on_orphan(ServerCancel s);
// The routine asks whether it is cancelled, once what arrived for the call has been read.
ServerCancel on_look(ServerCancel s);

bool is_cancelled(ServerCancel s);
bool is_observed(ServerCancel s);
bool is_orphaned(ServerCancel s);

}  // namespace rpcfit::rpc
