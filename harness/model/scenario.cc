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

namespace {

// The latest instant the scenario names: a step's or an expectation's.
Duration latest_instant(const Scenario& scenario) {
  Duration last{};
  auto take = [&](const std::optional<ExpectedTime>& t) {
    if (t) last = std::max(last, t->at);
  };
  for (const Step& step : scenario.steps)
    last = std::max(last, step.at);
  for (const CallExpect& call : scenario.expect.calls)
    take(call.ended_at);
  if (scenario.expect.server) {
    for (const ServerCallExpect& call : scenario.expect.server->per_call) {
      take(call.saw_cancel_at);
      take(call.finished_at);
      take(call.started_at);
    }
  }
  if (scenario.expect.wire) {
    for (const WireExpect& pdu : scenario.expect.wire->pdus)
      take(pdu.at);
  }
  return last;
}

// How long a routine of the server takes by itself, at most.
Duration longest_routine(const ServerSetup& server) {
  auto own = [](const server::BehaviourSpec& b) {
    return std::max(b.delay, b.run_for.value_or(Duration{})) + b.cleanup;
  };
  Duration longest = own(server.behaviour);
  for (const auto& [opnum, spec] : server.by_opnum)
    longest = std::max(longest, own(spec));
  return longest;
}

}  // namespace

Duration effective_timeout(const Scenario& scenario) {
  if (scenario.timeout) return *scenario.timeout;
  return latest_instant(scenario) + longest_routine(scenario.server) + kTimeoutSlack;
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
