#include "harness/run/scenario.h"

#include <algorithm>

namespace rpcfit::run {

std::string to_string(const SourceLoc& loc) {
  if (loc.line == 0) return loc.file;
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::must:
      return "must";
    case Level::should:
      return "should";
  }
  return "?";
}

std::string_view step_name(StepKind kind) {
  switch (kind) {
    case StepKind::call:
      return "call";
    case StepKind::cancel:
      return "cancel";
    case StepKind::cancel_thread:
      return "cancel_thread";
    case StepKind::async_cancel:
      return "async_cancel";
    case StepKind::set_cancel_timeout:
      return "set_cancel_timeout";
    case StepKind::open_thread:
      return "open_thread";
    case StepKind::close_handle:
      return "close_handle";
    case StepKind::wait:
      return "wait";
  }
  return "?";
}

std::string_view server_result_name(ServerResult result) {
  switch (result) {
    case ServerResult::response:
      return "response";
    case ServerResult::fault:
      return "fault";
    case ServerResult::discarded:
      return "discarded";
  }
  return "?";
}

Duration effective_timeout(const Scenario& scenario) {
  if (scenario.timeout) return *scenario.timeout;
  Duration last{};
  for (const Step& step : scenario.steps)
    last = std::max(last, step.at);
  return last + kTimeoutAfterLastStep;
}

}  // namespace rpcfit::run
