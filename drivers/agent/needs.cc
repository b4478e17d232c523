#include "drivers/agent/needs.h"

#include <algorithm>

namespace rpcfit::agent {
namespace {

constexpr std::uint32_t kThreadAllAccess = 0x001FFFFF;

std::string needs(const char* what, const char* capability) {
  return std::string("needs ") + what + " (capability \"" + capability + "\")";
}

}  // namespace

std::optional<std::string> client_lacks(const run::Scenario& scenario, const Capabilities& caps) {
  const auto& protseqs = caps.protseqs;
  if (std::find(protseqs.begin(), protseqs.end(), scenario.protseq) == protseqs.end()) {
    return "needs " + scenario.protseq + " (capability \"protseqs\")";
  }
  bool async = false, set_timeout = scenario.client.cancel_timeout.has_value(),
       cancel_thread = false, masks = scenario.client.access != kThreadAllAccess;
  for (const run::Step& step : scenario.steps) {
    async = async || (step.kind == run::StepKind::call && step.async) ||
            step.kind == run::StepKind::async_cancel;
    set_timeout = set_timeout || step.kind == run::StepKind::set_cancel_timeout;
    cancel_thread = cancel_thread || step.kind == run::StepKind::cancel_thread;
    masks = masks || (step.access && *step.access != kThreadAllAccess);
  }
  if (async && !caps.async) return needs("asynchronous calls and RpcAsyncCancelCall", "async");
  if (set_timeout && !caps.set_cancel_timeout) {
    return needs("RpcMgmtSetCancelTimeout", "set_cancel_timeout");
  }
  if (cancel_thread && !caps.cancel_thread) return needs("RpcCancelThread", "cancel_thread");
  if (masks && !caps.access_masks) return needs("OpenThread access masks", "access_masks");
  if (scenario.client.legacy_platform && !caps.rpcfit_tuning) {
    return needs("a client that plays a pre-NT platform (CS-PLT-1): rpcfit's own runtime only",
                 "rpcfit_tuning");
  }
  return std::nullopt;
}

}  // namespace rpcfit::agent
