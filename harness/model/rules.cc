#include "harness/model/rules.h"

#include <algorithm>
#include <array>

namespace rpcfit::run {
namespace {

// Section 8's rules (CS-NEV-*) carry no level in the spec; they are what the runtime must never
// do, so they count as MUST.
constexpr std::array<Rule, 42> kRules{{
    {"CS-ARG-1", Level::must, "client-api",
     "RpcCancelThreadEx on a null, closed or unknown handle"},
    {"CS-ACC-1", Level::must, "client-api",
     "a handle without THREAD_SET_CONTEXT: RPC_S_ACCESS_DENIED"},
    {"CS-PLT-1", Level::must, "client-api", "the legacy platform profile: RPC_S_CANNOT_SUPPORT"},
    {"CS-TMO-0", Level::must, "client-api", "Timeout < -1: RPC_S_INVALID_TIMEOUT"},
    {"CS-NP-1", Level::must, "client-api",
     "ncacn_np with an infinite timeout: RPC_S_INVALID_TIMEOUT"},
    {"CS-PS-1", Level::must, "client-api",
     "a protocol sequence that cannot cancel: RPC_S_CANNOT_SUPPORT"},
    {"CS-OK-1", Level::must, "client-api", "otherwise RPC_S_OK and the cancel is posted"},
    {"CS-RET-1", Level::must, "client-api", "RpcCancelThreadEx returns promptly"},
    {"CS-IDLE-1", Level::should, "client-api",
     "a cancel of an idle thread stays pending for its next call"},
    {"CS-ASYNC-1", Level::must, "client-api",
     "RpcCancelThreadEx never cancels an asynchronous call"},
    {"CS-MGMT-1", Level::must, "mgmt", "RpcMgmtSetCancelTimeout sets the thread's cancel timeout"},
    {"CS-MGMT-2", Level::must, "mgmt", "RpcCancelThread uses the target thread's cancel timeout"},
    {"CS-FWD-1", Level::must, "co-call",
     "a cancel after the first fragment is forwarded as co_cancel"},
    {"CS-PEND-1", Level::should, "co-call",
     "a cancel before the first fragment sets PFC_PENDING_CANCEL"},
    {"CS-TMO-1", Level::must, "co-call", "the server returns within the timeout: no orphaned PDU"},
    {"CS-TMO-2", Level::must, "co-call",
     "the timeout expires: orphaned, close, RPC_S_CALL_CANCELLED"},
    {"CS-TMO-3", Level::must, "co-call", "timeout 0 orphans at once"},
    {"CS-TMO-4", Level::must, "co-call", "an infinite timeout never orphans"},
    {"CS-STUB-1", Level::must, "co-call",
     "an orphaned call's stub runs on; its result is discarded"},
    {"CS-RES-1", Level::must, "co-call", "a nca_s_fault_cancel fault raises RPC_S_CALL_CANCELLED"},
    {"CS-RES-2", Level::must, "co-call", "a normal response ends the call normally"},
    {"CS-RES-3", Level::should, "co-call", "a response that missed a cancel leaves it pending"},
    {"CS-CONN-1", Level::must, "co-call",
     "a lost connection fails the call with RPC_S_CALL_FAILED"},
    {"CS-CONN-2", Level::should, "co-call",
     "a lost connection after a cancel: RPC_S_CALL_CANCELLED"},
    {"CS-DG-1", Level::must, "datagram",
     "datagram cancels: cl_cancel retransmitted until cancel_ack"},
    {"CS-DG-2", Level::must, "datagram", "the server answers each cl_cancel with a cancel_ack"},
    {"CS-DG-3", Level::must, "datagram", "datagram timeouts: traffic stops, RPC_S_CALL_CANCELLED"},
    {"CS-DG-4", Level::should, "datagram",
     "a datagram response with CANCEL_PENDING is as CS-RES-3"},
    {"CS-DG-5", Level::must, "datagram",
     "lost datagrams recovered, slow servers pinged, no call twice"},
    {"CS-SRV-1", Level::must, "server", "RpcTestCancel reports an arrived cancel"},
    {"CS-SRV-2", Level::must, "server", "RpcServerTestCancel's statuses"},
    {"CS-SRV-3", Level::must, "server", "a routine raising the cancel sends nca_s_fault_cancel"},
    {"CS-SRV-4", Level::should, "server",
     "cancel_count and PFC_PENDING_CANCEL in the server's reply"},
    {"CS-SRV-5", Level::must, "server", "an orphaned PDU: the stub runs on, nothing is sent"},
    {"CS-SRV-6", Level::must, "server", "a cancel for an unknown call_id is ignored"},
    {"CS-SRV-7", Level::must, "server",
     "a routine denying the caller: fault 5, RPC_S_ACCESS_DENIED"},
    {"CS-AS-1", Level::must, "async", "RpcAsyncCancelCall abortive orphans at once"},
    {"CS-AS-2", Level::must, "async", "RpcAsyncCancelCall non-abortive waits for the server"},
    {"CS-AS-3", Level::must, "async", "RpcAsyncCancelCall without an outstanding call"},
    {"CS-NEV-1", Level::must, "never", "never hang a caller past its timeout plus tolerance"},
    {"CS-NEV-2", Level::must, "never", "never cancel another call, never run a call twice"},
    {"CS-NEV-3", Level::must, "never", "a malformed PDU never crashes or stalls other connections"},
}};

}  // namespace

std::span<const Rule> all_rules() {
  return kRules;
}

const Rule* find_rule(std::string_view id) {
  const auto it =
      std::find_if(kRules.begin(), kRules.end(), [&](const Rule& r) { return r.id == id; });
  return it == kRules.end() ? nullptr : &*it;
}

}  // namespace rpcfit::run
