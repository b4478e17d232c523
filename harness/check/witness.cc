#include "harness/check/witness.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace rpcfit::run {
namespace {

using Rules = std::vector<std::string_view>;

// The refusals of RpcCancelThreadEx: a refused cancel leaves the call untouched, so any sign of
// a cancel (on the wire, at the server, in how the call ended) breaks the refusal's rule.
const Rules kRefusals{"CS-ARG-1", "CS-ACC-1", "CS-PLT-1", "CS-TMO-0", "CS-NP-1", "CS-PS-1"};

Rules join(std::initializer_list<Rules> parts) {
  Rules out;
  for (const Rules& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

Rules step_status_rules(const Claim& claim) {
  const std::string_view kind = claim.detail;
  if (kind == "set_cancel_timeout") return {"CS-MGMT-1", "CS-TMO-0", "CS-PLT-1"};
  if (kind == "async_cancel") return {"CS-AS-3", "CS-AS-1", "CS-AS-2", "CS-ASYNC-1"};
  if (kind == "open_thread" || kind == "close_handle") return {"CS-ARG-1", "CS-ACC-1"};
  if (!claim.status) return join({kRefusals, {"CS-OK-1", "CS-IDLE-1", "CS-MGMT-2"}});
  switch (*claim.status) {
    case status::kInvalidArg:
      return {"CS-ARG-1"};
    case status::kAccessDenied:
      return {"CS-ACC-1"};
    case status::kCannotSupport:
      return {"CS-PLT-1", "CS-PS-1"};
    case status::kInvalidTimeout:
      return {"CS-TMO-0", "CS-NP-1"};
    case status::kOk:
      return {"CS-OK-1", "CS-IDLE-1", "CS-MGMT-2", "CS-ASYNC-1"};
  }
  return join({kRefusals, {"CS-OK-1"}});
}

Rules call_status_rules(const Claim& claim) {
  if (!claim.status) return {};
  switch (*claim.status) {
    case status::kCallCancelled:
      return {"CS-TMO-2",  "CS-TMO-3",  "CS-RES-1", "CS-DG-3",   "CS-AS-1", "CS-AS-2",
              "CS-CONN-2", "CS-MGMT-2", "CS-SRV-3", "CS-PEND-1", "CS-FWD-1"};
    case status::kOk:
      return join({{"CS-RES-2", "CS-TMO-1", "CS-AS-2", "CS-RES-3", "CS-DG-4", "CS-DG-5", "CS-SRV-6",
                    "CS-ASYNC-1", "CS-IDLE-1"},
                   kRefusals});
    case status::kCallFailed:
    case status::kCallFailedDne:
      return {"CS-CONN-1", "CS-NEV-3"};
    case status::kAccessDenied:
      return {"CS-SRV-7"};
  }
  return {};
}

Rules wire_rules(const Claim& claim) {
  const std::string_view pdu = claim.detail;
  const std::string_view field = claim.field;
  if (field == "cancel_count") return {"CS-SRV-4", "CS-RES-3", "CS-FWD-1"};
  if (field == "cancel_id") return {"CS-DG-1", "CS-DG-2"};
  if (field == "flags" || field == "flags2") {
    return {"CS-PEND-1", "CS-SRV-4", "CS-FWD-1", "CS-RES-3", "CS-DG-4", "CS-TMO-2"};
  }
  if (field == "server_is_accepting") return {"CS-DG-2"};
  if (field == "status") return {"CS-SRV-3", "CS-SRV-7", "CS-RES-1"};
  if (field == "stub" || field == "stub_length") return {"CS-RES-2", "CS-STUB-1", "CS-DG-5"};
  const Rules refusals = claim.kind == ClaimKind::wire_absent ? kRefusals : Rules{};
  if (pdu == "co_cancel") return join({{"CS-FWD-1", "CS-PEND-1", "CS-TMO-3"}, refusals});
  if (pdu == "orphaned") {
    return join(
        {{"CS-TMO-2", "CS-TMO-3", "CS-TMO-1", "CS-TMO-4", "CS-AS-1", "CS-MGMT-2", "CS-AS-2"},
         refusals});
  }
  if (pdu == "cl_cancel") return join({{"CS-DG-1", "CS-DG-3"}, refusals});
  if (pdu == "cancel_ack") return {"CS-DG-2", "CS-DG-1"};
  if (pdu == "request") return {"CS-PEND-1", "CS-DG-5", "CS-CONN-1", "CS-NEV-2"};
  if (pdu == "response") {
    return {"CS-RES-2", "CS-TMO-1", "CS-SRV-4", "CS-SRV-5", "CS-STUB-1", "CS-RES-3", "CS-DG-4"};
  }
  if (pdu == "fault") return {"CS-SRV-3", "CS-SRV-7", "CS-RES-1", "CS-SRV-4", "CS-SRV-5"};
  if (pdu == "bind" || pdu == "bind_ack" || pdu == "alter_context" || pdu == "alter_context_resp") {
    return {"CS-TMO-2", "CS-CONN-1", "CS-PEND-1"};
  }
  if (pdu == "ping" || pdu == "working" || pdu == "nocall" || pdu == "ack" || pdu == "fack") {
    return {"CS-DG-5", "CS-DG-3"};
  }
  return {};
}

Rules claim_rules(const Claim& claim) {
  switch (claim.kind) {
    case ClaimKind::step_status:
      return step_status_rules(claim);
    case ClaimKind::step_time:
      return {"CS-RET-1"};
    case ClaimKind::step_returned:  // and it returned nothing of what it should have
      return join({{"CS-RET-1"}, step_status_rules(claim)});
    case ClaimKind::call_status:
      return call_status_rules(claim);
    case ClaimKind::call_time:
      return {"CS-TMO-2", "CS-TMO-3",  "CS-TMO-1",  "CS-DG-3",   "CS-MGMT-2", "CS-RES-1",
              "CS-AS-1",  "CS-CONN-2", "CS-PEND-1", "CS-CONN-1", "CS-NEV-1"};
    case ClaimKind::call_output:
      return {"CS-RES-2", "CS-AS-2", "CS-RES-3", "CS-DG-4", "CS-DG-5"};
    case ClaimKind::call_running:
      return {"CS-TMO-4", "CS-AS-2", "CS-NP-1"};
    case ClaimKind::call_ended:
      return {"CS-NEV-1",  "CS-TMO-2",  "CS-TMO-3", "CS-DG-3", "CS-MGMT-2",
              "CS-CONN-1", "CS-CONN-2", "CS-AS-1",  "CS-RES-1"};
    case ClaimKind::server_count:
      return join({{"CS-DG-5", "CS-NEV-2", "CS-CONN-1", "CS-PEND-1"}, kRefusals});
    case ClaimKind::server_cancel:
      return join({{"CS-SRV-1", "CS-SRV-2", "CS-FWD-1", "CS-PEND-1", "CS-DG-2", "CS-SRV-5",
                    "CS-NEV-2", "CS-IDLE-1", "CS-AS-1", "CS-AS-2", "CS-MGMT-2"},
                   kRefusals});
    case ClaimKind::server_finish:
      return {"CS-STUB-1", "CS-SRV-5", "CS-SRV-3", "CS-SRV-1", "CS-SRV-2", "CS-SRV-7"};
    case ClaimKind::server_result:
      return {"CS-SRV-3", "CS-SRV-5", "CS-STUB-1", "CS-SRV-7", "CS-SRV-4", "CS-TMO-3", "CS-DG-3"};
    case ClaimKind::server_start:
      return {"CS-PEND-1", "CS-DG-5", "CS-NEV-2"};
    case ClaimKind::wire_pdu:
    case ClaimKind::wire_absent:
      return wire_rules(claim);
    case ClaimKind::wire_length:
    case ClaimKind::capture:
      return {};
  }
  return {};
}

// The harness's own claims name their rule even when the scenario does not cite it.
std::string_view own_rule(ClaimKind kind) {
  if (kind == ClaimKind::step_returned) return "CS-RET-1";
  if (kind == ClaimKind::call_ended) return "CS-NEV-1";
  return {};
}

}  // namespace

std::vector<std::string> broken_rules(const Scenario& scenario, const Claim& claim) {
  const Rules candidates = claim_rules(claim);
  std::vector<std::string> out;
  const std::string_view own = own_rule(claim.kind);
  if (!own.empty()) out.emplace_back(own);
  for (const std::string& rule : scenario.spec) {
    if (rule == own) continue;
    if (std::find(candidates.begin(), candidates.end(), rule) != candidates.end()) {
      out.push_back(rule);
    }
  }
  if (out.empty()) return scenario.spec;
  return out;
}

}  // namespace rpcfit::run
