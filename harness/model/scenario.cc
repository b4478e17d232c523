#include "harness/model/scenario.h"

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

bool expects_running(const Scenario& scenario) {
  return std::any_of(scenario.expect.calls.begin(), scenario.expect.calls.end(),
                     [](const CallExpect& e) { return e.still_running; });
}

std::string golden_path(const Scenario& scenario) {
  if (!scenario.golden) return "";
  if (scenario.capture) return *scenario.capture;
  return "captures/golden/" + scenario.id + ".pcap";
}

bool crosses_ip_interface(std::string_view protseq) {
  return protseq != "ncacn_np" && protseq != "ncalrpc" && protseq != "ncadg_mq";
}

const server::BehaviourSpec& behaviour_for(const ServerSetup& server, std::uint16_t opnum) {
  const auto own = server.by_opnum.find(opnum);
  return own != server.by_opnum.end() ? own->second : server.behaviour;
}

}  // namespace rpcfit::run
