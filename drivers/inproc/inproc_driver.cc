#include "drivers/inproc/inproc_driver.h"

#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "drivers/fault/datagram_faults.h"
#include "drivers/fault/stream_faults.h"
#include "drivers/inproc/inproc_session.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/string_binding.h"
#include "drivers/runtime/test_interface.h"
#include "harness/core/random.h"

namespace rpcfit::inproc {
namespace {

// The stream of a scenario's seed that the client runtime draws from ("runtime" in ASCII).
constexpr std::uint64_t kRuntimeStream = 0x72756e74696d65;

using OpenResult = Result<std::unique_ptr<run::DriverSession>, run::SessionError>;

Unexpected<run::SessionError> trouble(std::string reason) {
  return unexpected(run::SessionError{false, std::move(reason)});
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

// Decorates the runtimes' transports with one plan for all of `faults`; the error names the
// fault the transport refuses.
std::optional<std::string> arm_faults(const run::SessionSetup& setup, transport::Protseq protseq,
                                      World& world, rpc::RuntimeOptions& client,
                                      rpc::RuntimeOptions& server) {
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
    world.plan = std::make_shared<fault::FaultPlan>(std::move(specs), setup.seed);
    if (datagram) {
      // FaultyDatagrams decides only what its socket sends: the client's covers c2s, the
      // server's s2c.
      client.datagram_decorator = fault::datagram_decorator_for(world.plan, *setup.clock, true);
      server.datagram_decorator = fault::datagram_decorator_for(world.plan, *setup.clock, false);
    } else {
      // Likewise each side's connections apply what that side sends, so that what the client
      // tees to its capture as received is what the fault let through.
      client.stream_decorator = fault::stream_decorator_for(world.plan, *setup.clock, true);
      server.stream_decorator = fault::stream_decorator_for(world.plan, *setup.clock, true);
    }
  } catch (const std::invalid_argument& e) {
    return std::string("faults: ") + e.what();
  }
  return std::nullopt;
}

// The opnums the server must serve: those the steps call and those given behaviours of their own.
std::set<std::uint16_t> served_opnums(const run::Scenario& scenario) {
  std::set<std::uint16_t> opnums;
  for (const auto& step : scenario.steps) {
    if (step.kind == run::StepKind::call) opnums.insert(step.opnum);
  }
  for (const auto& [opnum, spec] : scenario.server.by_opnum)
    opnums.insert(opnum);
  return opnums;
}

}  // namespace

OpenResult InprocDriver::open(const run::SessionSetup& setup) {
  if (setup.scenario == nullptr || setup.clock == nullptr) {
    return trouble("inproc: a session needs a scenario and a clock");
  }
  const run::Scenario& scenario = *setup.scenario;
  const auto protseq = transport::parse_protseq(scenario.protseq);
  if (!protseq) {
    return unexpected(
        run::SessionError{true, "the in-process runtime does not speak " + scenario.protseq});
  }

  auto world = std::make_shared<World>();
  world->clock = setup.clock;
  world->protseq = *protseq;
  world->sink = std::make_shared<WireSink>(*setup.clock, setup.capture);
  world->book = std::make_shared<ServerBook>();
  world->recorder = std::make_shared<server::EventRecorder>();
  world->recorder->set_listener([book = world->book](const server::BehaviourEvent& event) {
    book->on_behaviour_event(event);
  });

  rpc::RuntimeOptions client_options;
  client_options.clock = setup.clock;
  client_options.capture = world->sink.get();
  client_options.run_dir = setup.run_dir;
  client_options.legacy_platform = scenario.client.legacy_platform;
  // The runtime's own random choices (activity UUIDs) draw from a stream of the scenario's seed
  // apart from the faults' streams.
  client_options.seed = Random(setup.seed).fork(kRuntimeStream).seed();
  rpc::RuntimeOptions server_options;
  server_options.clock = setup.clock;
  server_options.run_dir = setup.run_dir;
  if (auto refused = arm_faults(setup, *protseq, *world, client_options, server_options)) {
    return trouble(*refused);
  }
  world->server_runtime = std::make_unique<rpc::Runtime>(std::move(server_options));
  world->client = std::make_unique<rpc::Runtime>(std::move(client_options));

  rpc::ServerOptions options;
  options.cancel_deaf = scenario.server.cancel_deaf;
  // Holds the book and recorder, not the World: the server's threads must never own the World,
  // whose destruction joins them.
  options.observer = [book = world->book, recorder = world->recorder](const rpc::ServerEvent& e) {
    book->on_server_event(e);
    recorder->on_server_event(e);
  };
  world->server = std::make_unique<rpc::Server>(*world->server_runtime, std::move(options));
  rpc::InterfaceRegistration registration;
  registration.id = rpc::test_interface_id();
  for (const std::uint16_t opnum : served_opnums(scenario)) {
    const auto own = scenario.server.by_opnum.find(opnum);
    const auto& spec =
        own != scenario.server.by_opnum.end() ? own->second : scenario.server.behaviour;
    registration.routines[opnum] =
        ServerBook::wrap(world->book, server::make_routine(spec, world->recorder));
  }
  world->server->register_interface(std::move(registration));

  auto endpoint = world->server->listen(*protseq, "");
  if (!endpoint) return trouble("listen on " + scenario.protseq + ": " + endpoint.error());
  const std::string text = rpc::local_binding(*protseq, *endpoint);
  rpc::BindingOptions binding_options;
  if (scenario.client.dg_retransmit) binding_options.dg_retransmit = *scenario.client.dg_retransmit;
  if (scenario.client.dg_comm_timeout) {
    binding_options.dg_comm_timeout = *scenario.client.dg_comm_timeout;
  }
  auto binding = rpc::Binding::from_string(*world->client, text, binding_options);
  if (!binding) return trouble("binding " + text + ": " + rpc::status_text(binding.error()));
  world->binding = *binding;

  return std::unique_ptr<run::DriverSession>(
      std::make_unique<InprocSession>(std::move(world), setup.seed));
}

}  // namespace rpcfit::inproc
