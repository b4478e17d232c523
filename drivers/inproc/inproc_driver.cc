#include "drivers/inproc/inproc_driver.h"

#include <optional>
#include <stdexcept>
#include <utility>

#include "drivers/fault/datagram_faults.h"
#include "drivers/fault/stream_faults.h"
#include "drivers/inproc/inproc_session.h"
#include "harness/core/random.h"

namespace rpcfit::inproc {
namespace {

// The stream of a scenario's seed that the client runtime draws from ("runtime" in ASCII).
constexpr std::uint64_t kRuntimeStream = 0x72756e74696d65;

using OpenResult = Result<std::unique_ptr<run::DriverSession>, run::SessionError>;

Unexpected<run::SessionError> trouble(std::string reason) {
  return unexpected(run::SessionError{false, std::move(reason), {}});
}

std::string describe(const run::FaultEntry& entry) {
  std::string text =
      "fault \"" + (entry.text.empty() ? fault::to_string(entry.spec) : entry.text) + "\"";
  if (!entry.loc.file.empty()) text += " (" + run::to_string(entry.loc) + ")";
  return text;
}

// Why a datagram socket cannot apply `kind`, if it cannot: FaultyDatagrams ignores stream faults
// while the plan would still count them (datagram_faults.h).
std::optional<std::string> datagram_refuses(fault::FaultKind kind) {
  switch (kind) {
    case fault::FaultKind::reset:
    case fault::FaultKind::slice:
      return std::string(fault::fault_kind_name(kind)) +
             " is a stream fault; a datagram transport cannot apply it";
    case fault::FaultKind::latency:
    case fault::FaultKind::drop:
    case fault::FaultKind::duplicate:
    case fault::FaultKind::reorder:
    case fault::FaultKind::truncate:
    case fault::FaultKind::corrupt:
    case fault::FaultKind::blackhole:
    case fault::FaultKind::bandwidth:
      return std::nullopt;
  }
  return std::nullopt;
}

// Decorates both sides' transports with one plan for all of `faults` (`plan`); the error names
// the fault the transport refuses.
std::optional<std::string> arm_faults(const run::SessionSetup& setup, transport::Protseq protseq,
                                      std::shared_ptr<fault::FaultPlan>& plan,
                                      ReferenceClientSetup& client, ReferenceServerSetup& server) {
  const auto& faults = setup.scenario->faults;
  if (faults.empty()) return std::nullopt;
  const bool datagram = transport::is_datagram(protseq);
  std::vector<fault::FaultSpec> specs;
  for (const auto& entry : faults) {
    if (datagram) {
      if (auto refused = datagram_refuses(entry.spec.kind)) {
        return describe(entry) + ": " + *refused + " (" +
               std::string(transport::protseq_name(protseq)) + ")";
      }
    } else {
      // The stream decorator's own judgement, one fault at a time, so the error names it.
      try {
        fault::stream_decorator_for(std::make_shared<fault::FaultPlan>(
                                        std::vector<fault::FaultSpec>{entry.spec}, setup.seed),
                                    *setup.clock);
      } catch (const std::invalid_argument& e) {
        return describe(entry) + ": " + e.what();
      }
    }
    specs.push_back(entry.spec);
  }
  try {
    plan = std::make_shared<fault::FaultPlan>(std::move(specs), setup.seed);
    if (datagram) {
      // FaultyDatagrams decides only what its socket sends: the client's covers c2s, the
      // server's s2c.
      client.datagram_decorator = fault::datagram_decorator_for(plan, *setup.clock, true);
      server.datagram_decorator = fault::datagram_decorator_for(plan, *setup.clock, false);
    } else {
      // Likewise each side's connections apply what that side sends, so that what the client
      // tees to its capture as received is what the fault let through.
      client.stream_decorator = fault::stream_decorator_for(plan, *setup.clock, true);
      server.stream_decorator = fault::stream_decorator_for(plan, *setup.clock, true);
    }
  } catch (const std::invalid_argument& e) {
    return std::string("faults: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace

std::uint64_t client_runtime_seed(std::uint64_t session_seed) {
  return Random(session_seed).fork(kRuntimeStream).seed();
}

OpenResult InprocDriver::open(const run::SessionSetup& setup) {
  if (setup.scenario == nullptr || setup.clock == nullptr) {
    return trouble("inproc: a session needs a scenario and a clock");
  }
  const run::Scenario& scenario = *setup.scenario;
  const auto protseq = transport::parse_protseq(scenario.protseq);
  if (!protseq) {
    return unexpected(
        run::SessionError{true, "the in-process runtime does not speak " + scenario.protseq, {}});
  }

  ReferenceServerSetup server_setup;
  server_setup.scenario = &scenario;
  server_setup.clock = setup.clock;
  server_setup.run_dir = setup.run_dir;
  ReferenceClientSetup client_setup;
  client_setup.clock = setup.clock;
  client_setup.run_dir = setup.run_dir;
  client_setup.capture = setup.capture;
  client_setup.legacy_platform = scenario.client.legacy_platform;
  // The runtime's own random choices (activity UUIDs) draw from a stream of the scenario's seed
  // apart from the faults' streams.
  client_setup.seed = client_runtime_seed(setup.seed);
  if (scenario.client.dg_retransmit) {
    client_setup.binding_options.dg_retransmit = *scenario.client.dg_retransmit;
  }
  if (scenario.client.dg_comm_timeout) {
    client_setup.binding_options.dg_comm_timeout = *scenario.client.dg_comm_timeout;
  }
  std::shared_ptr<fault::FaultPlan> plan;
  if (auto refused = arm_faults(setup, *protseq, plan, client_setup, server_setup)) {
    return trouble(*refused);
  }

  auto server = ReferenceServer::open(server_setup);
  if (!server) return trouble(server.error());
  client_setup.binding = (*server)->binding();
  auto client = ReferenceClient::open(client_setup);
  if (!client) return trouble(client.error());
  return std::unique_ptr<run::DriverSession>(std::make_unique<InprocSession>(
      std::move(*server), std::move(*client), std::move(plan), setup.seed));
}

}  // namespace rpcfit::inproc
