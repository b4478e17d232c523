#include "drivers/agent/agent_driver.h"

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <system_error>

#include "drivers/agent/agent_link.h"
#include "drivers/agent/client_agent_session.h"
#include "drivers/agent/needs.h"
#include "drivers/inproc/inproc_driver.h"
#include "drivers/runtime/string_binding.h"
#include "drivers/transport/addressing.h"

namespace rpcfit::agent {
namespace {

using OpenResult = Result<std::unique_ptr<run::DriverSession>, run::SessionError>;

// How many clock round trips the alignment takes the shortest of.
constexpr int kAlignRounds = 5;

Unexpected<run::SessionError> trouble(std::string reason, std::string log = {}) {
  return unexpected(run::SessionError{false, std::move(reason), std::move(log)});
}

// The agent's own directory in the session's private run directory.
Result<std::filesystem::path, std::string> agent_dir(const std::filesystem::path& run_dir,
                                                     const char* name) {
  std::error_code ec;
  const auto dir = run_dir / name;
  std::filesystem::create_directories(dir, ec);
  if (ec) return unexpected("cannot make " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return unexpected("cannot make " + dir.string() + " 0700");
  return dir;
}

// The proxy's transport for a protocol sequence it can carry: TCP and UDP, and the Unix stream
// sockets of ncacn_np and ncalrpc. Not ncacn_http (the server's banner frames as no PDU, and the
// proxy decides nothing after it) nor ncadg_mq.
std::optional<fault::ProxyTransport> proxy_transport(transport::Protseq protseq) {
  switch (protseq) {
    case transport::Protseq::ncacn_ip_tcp:
    case transport::Protseq::ncacn_np:
    case transport::Protseq::ncalrpc:
      return fault::ProxyTransport::tcp;
    case transport::Protseq::ncadg_ip_udp:
      return fault::ProxyTransport::udp;
    case transport::Protseq::ncacn_http:
    case transport::Protseq::ncadg_mq:
      return std::nullopt;
  }
  return std::nullopt;
}

// Where the proxy listens for the agent and connects to the server (into `proxy`), and the
// binding the agent is given (empty for a port, known once the proxy listens).
Result<std::string, std::string> route_through(transport::Protseq protseq,
                                               const std::string& server_binding,
                                               const std::filesystem::path& run_dir,
                                               fault::ProxyOptions& proxy) {
  auto parsed = rpc::parse_string_binding(server_binding);
  if (!parsed) return unexpected("the reference server's binding " + server_binding);
  if (!transport::uses_ports(protseq)) {
    auto server = transport::internal::unix_endpoint(protseq, parsed->endpoint, run_dir);
    const std::string name = transport::internal::generate_endpoint_name();
    auto listen = transport::internal::unix_endpoint(protseq, name, run_dir);
    if (!server) return unexpected(server.error());
    if (!listen) return unexpected(listen.error());
    proxy.unix_protseq = protseq;
    proxy.unix_upstream = server->path;
    proxy.unix_listen = listen->path;
    proxy.upstream = server->server;
    proxy.listen = listen->server;
    return rpc::local_binding(protseq, listen->display);
  }
  unsigned long port = 0;
  try {
    port = std::stoul(parsed->endpoint);
  } catch (const std::exception&) {
  }
  if (port == 0 || port > 65535) {
    return unexpected("the reference server's binding " + server_binding + " has no port");
  }
  proxy.listen = Endpoint{IpAddress::loopback_v4(), 0};
  proxy.upstream = Endpoint{IpAddress::loopback_v4(), static_cast<std::uint16_t>(port)};
  return std::string();
}

// bind's `tuning`: the scenario's knobs for rpcfit's own runtime (PROTOCOL.md).
Json tuning_of(const run::Scenario& scenario, const run::SessionSetup& setup) {
  const std::uint64_t seed = setup.seed;
  Json t = Json::object();
  t["run_dir"] = setup.run_dir.string();
  t["seed"] = std::to_string(inproc::client_runtime_seed(seed));
  t["legacy_platform"] = scenario.client.legacy_platform;
  auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  if (scenario.client.dg_retransmit) t["dg_retransmit_ms"] = ms(*scenario.client.dg_retransmit);
  if (scenario.client.dg_comm_timeout) {
    t["dg_comm_timeout_ms"] = ms(*scenario.client.dg_comm_timeout);
  }
  return t;
}

}  // namespace

std::vector<std::string> AgentDriver::argv_of(const std::string& command) {
  return {"/bin/sh", "-c", command};
}

std::vector<TargetInfo> AgentDriver::targets() const {
  TargetInfo client{"client", "agent", options_.client_command, "", "", 0};
  {
    std::lock_guard lock(mu_);
    if (client_hello_) {
      client.implementation = client_hello_->implementation;
      client.version = client_hello_->version;
      client.protocol = client_hello_->protocol;
    }
  }
  TargetInfo server{"server", "inproc", "", "rpcfit", "", 0};
  return {client, server};
}

OpenResult AgentDriver::open(const run::SessionSetup& setup) {
  if (setup.scenario == nullptr || setup.clock == nullptr) {
    return trouble("agent: a session needs a scenario and a clock");
  }
  const run::Scenario& scenario = *setup.scenario;
  if (std::abs(setup.clock->scale() - 1.0) > 1e-9) {
    return trouble(
        "a run with an agent plays at time scale 1 (a foreign runtime's cancel "
        "timeouts are real seconds); this one plays at " +
        std::to_string(setup.clock->scale()));
  }
  const auto protseq = transport::parse_protseq(scenario.protseq);
  if (!protseq) {
    return unexpected(run::SessionError{
        true, "rpcfit's reference server does not speak " + scenario.protseq, {}});
  }
  // The proxy carries what the client sends and receives, and its view of the wire is the
  // client's own (each PDU when it arrived); without it, the server's view stamps a PDU when the
  // server reads it, which a routine that polls for no cancel puts off.
  const std::optional<fault::ProxyTransport> carried = proxy_transport(*protseq);
  if (!scenario.faults.empty() && !carried) {
    return unexpected(run::SessionError{
        true,
        "its faults would go between a foreign client and the reference server through "
        "rpcfit's fault proxy, which does not carry " +
            scenario.protseq,
        {}});
  }

  auto dir = agent_dir(setup.run_dir, "client-agent");
  if (!dir) return trouble("agent: " + dir.error());
  LinkOptions link_options;
  link_options.role = "client";
  link_options.argv = argv_of(options_.client_command);
  link_options.private_dir = *dir;  // its working directory stays rpcfit's: relative paths work
  link_options.hello_patience = options_.hello_patience;
  auto link = AgentLink::start(link_options);
  if (!link) return trouble(link.error().reason, link.error().log);
  {
    std::lock_guard lock(mu_);
    if (!client_hello_) client_hello_ = (*link)->hello();
  }
  if (auto lacks = client_lacks(scenario, (*link)->hello().capabilities)) {
    return unexpected(run::SessionError{
        true, "the client agent (" + (*link)->hello().implementation + ") " + *lacks, {}});
  }

  ClientAgentSession::Parts parts;
  parts.seed = setup.seed;
  inproc::ReferenceServerSetup server_setup;
  server_setup.scenario = &scenario;
  server_setup.clock = setup.clock;
  server_setup.run_dir = setup.run_dir;
  server_setup.keep_wire = !carried;
  server_setup.capture = carried ? nullptr : setup.capture;
  auto server = inproc::ReferenceServer::open(server_setup);
  if (!server) return trouble("the reference server: " + server.error());
  std::string binding = (*server)->binding();
  if (carried) {
    fault::ProxyOptions proxy;
    auto routed = route_through(*protseq, binding, setup.run_dir, proxy);
    if (!routed) return trouble("the fault proxy: " + routed.error());
    std::vector<fault::FaultSpec> specs;
    for (const auto& entry : scenario.faults)
      specs.push_back(entry.spec);
    parts.plan = std::make_shared<fault::FaultPlan>(specs, setup.seed);
    parts.proxy_wire = std::make_shared<inproc::WireSink>(*setup.clock, setup.capture);
    proxy.transport = *carried;
    proxy.faults = specs;
    proxy.shared_plan = parts.plan;
    proxy.blackhole_keeps_close = true;  // as the in-process driver's decorators
    proxy.clock = setup.clock;
    proxy.capture = parts.proxy_wire.get();
    auto started = fault::Proxy::start(std::move(proxy));
    if (!started) return trouble("the fault proxy: " + started.error());
    parts.proxy = std::move(*started);
    binding = routed->empty()
                  ? rpc::local_binding(*protseq, std::to_string(parts.proxy->listening().port))
                  : *routed;
  }
  parts.server = std::move(*server);

  auto alignment = (*link)->align(*setup.clock, kAlignRounds);
  if (!alignment) {
    const auto failure = (*link)->failure();
    return trouble(failure ? failure->reason : (*link)->name() + ": " + alignment.error(),
                   failure ? failure->log : "");
  }
  parts.alignment = *alignment;
  Json fields = Json::object();
  fields["binding"] = binding;
  if ((*link)->hello().capabilities.rpcfit_tuning) fields["tuning"] = tuning_of(scenario, setup);
  auto bound = (*link)->request("bind", fields);
  if (!bound) {
    const auto failure = (*link)->failure();
    return trouble(failure ? failure->reason : (*link)->name() + ": " + bound.error(),
                   failure ? failure->log : "");
  }
  auto status = Fields(bound->fields, "bind").status("status");
  if (!status) return trouble((*link)->name() + ": " + status.error());
  if (*status != status::kOk) {
    return trouble((*link)->name() + ": binding to " + binding + " returned status " +
                   std::to_string(*status));
  }
  parts.link = std::move(*link);
  return std::unique_ptr<run::DriverSession>(
      std::make_unique<ClientAgentSession>(std::move(parts)));
}

}  // namespace rpcfit::agent
