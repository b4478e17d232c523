// Which cancel timeouts a call's scenario applies to it, for the message of a call that ended at
// the wrong time: a reader sees at once whether the runtime counted from the wrong instant, took
// the wrong cancel's timeout, or ignored RpcMgmtSetCancelTimeout.
#include "harness/check/check_internal.h"

namespace rpcfit::run::internal {
namespace {

// The thread a cancel step targets: its `thread`, or the thread its handle was opened to.
std::string target_thread(const Scenario& scenario, const Step& cancel) {
  if (cancel.null_handle) return {};
  if (cancel.handle.empty()) return cancel.thread;
  for (const Step& step : scenario.steps) {
    if (step.kind == StepKind::open_thread && step.handle == cancel.handle) return step.thread;
  }
  return {};
}

// The timeout RpcCancelThread takes at `at` from `thread`: its last RpcMgmtSetCancelTimeout that
// the scenario expects to succeed, else client.cancel_timeout, else infinite (CS-MGMT-2).
std::pair<long, std::string> thread_timeout(const Scenario& scenario, const std::string& thread,
                                            Duration at) {
  long timeout = scenario.client.cancel_timeout.value_or(-1);
  std::string source = scenario.client.cancel_timeout ? "client.cancel_timeout" : "the default";
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    if (step.kind != StepKind::set_cancel_timeout || step.thread != thread || step.at > at)
      continue;
    if (step.expect && *step.expect != status::kOk) continue;
    timeout = step.timeout;
    source = "RpcMgmtSetCancelTimeout(" + std::to_string(step.timeout) + ") of step " +
             std::to_string(i + 1);
  }
  return {timeout, source};
}

std::string seconds_text(long timeout) {
  return timeout == -1 ? "infinite" : std::to_string(timeout) + "s";
}

}  // namespace

std::string applied_timeouts(const Scenario& scenario, const std::string& call) {
  const Step* call_step = nullptr;
  for (const Step& step : scenario.steps) {
    if (step.kind == StepKind::call && step.call == call) call_step = &step;
  }
  if (call_step == nullptr || call_step->async) return {};
  std::string text;
  std::optional<Duration> due;
  for (std::size_t i = 0; i < scenario.steps.size(); ++i) {
    const Step& step = scenario.steps[i];
    if (step.kind != StepKind::cancel && step.kind != StepKind::cancel_thread) continue;
    if (step.at < call_step->at || target_thread(scenario, step) != call_step->thread) continue;
    if (step.expect && *step.expect != status::kOk) continue;  // a refused cancel changes nothing
    long timeout = step.timeout;
    std::string source;
    if (step.kind == StepKind::cancel_thread) {
      std::tie(timeout, source) = thread_timeout(scenario, call_step->thread, step.at);
    }
    text += (text.empty() ? "" : "; ") + std::string(step_name(step.kind)) + " of step " +
            std::to_string(i + 1) + " at " + format_instant(step.at) + ", timeout " +
            seconds_text(timeout) + (source.empty() ? "" : " (" + source + ")");
    if (timeout >= 0) {
      const Duration at = step.at + std::chrono::seconds(timeout);
      if (!due || at < *due) due = at;
    }
  }
  if (text.empty()) return {};
  return "cancels: " + text +
         (due ? "; the earliest deadline, " + format_instant(*due) +
                    ", is when an unanswered call is orphaned"
              : "; no finite timeout applies");
}

}  // namespace rpcfit::run::internal
