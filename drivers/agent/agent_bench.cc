// The agent path's cost per call: the same echo call (opnum 0, 8 bytes) against the same
// reference server, made in process by the reference client and through an agent (by default
// `rpcfit agent`, the same runtime behind the agent protocol), sequentially, N times each.
// Prints the median and 90th percentile of each and their ratio; it asserts nothing.
//
//   agent_bench [--calls N] [--agent CMD]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

#include "drivers/agent/agent_driver.h"
#include "drivers/agent/agent_link.h"
#include "drivers/inproc/reference_client.h"
#include "drivers/inproc/reference_server.h"

namespace {

using namespace rpcfit;
using Steady = std::chrono::steady_clock;

struct Stats {
  double median_us = 0, p90_us = 0;
};

Stats stats_of(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"the agent path's cost per call against the in-process one"};
  int calls = 2000;
  std::string agent_command = std::string(RPCFIT_EXECUTABLE) + " agent";
  app.add_option("--calls", calls, "calls of each kind (default 2000)");
  app.add_option("--agent", agent_command, "the agent (default: rpcfit agent)");
  CLI11_PARSE(app, argc, argv);
  if (calls < 10) calls = 10;

  char dir[] = "/tmp/rpcfit-agent-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr) return 2;
  RealClock clock(1.0);
  run::Scenario scenario;
  scenario.protseq = "ncacn_ip_tcp";
  scenario.server.by_opnum[0] = server::BehaviourSpec{};
  inproc::ReferenceServerSetup server_setup;
  server_setup.scenario = &scenario;
  server_setup.clock = &clock;
  server_setup.run_dir = dir;
  auto server = inproc::ReferenceServer::open(server_setup);
  if (!server) {
    std::cerr << server.error() << '\n';
    return 2;
  }
  const Bytes input{0, 1, 2, 3, 4, 5, 6, 7};

  inproc::ReferenceClientSetup client_setup;
  client_setup.clock = &clock;
  client_setup.run_dir = dir;
  client_setup.binding = (*server)->binding();
  auto client = inproc::ReferenceClient::open(client_setup);
  if (!client) {
    std::cerr << client.error() << '\n';
    return 2;
  }
  (*client)->register_thread();
  std::vector<double> inproc_us;
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Steady::now();
    const auto outcome = (*client)->call(0, input);
    inproc_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
    if (!outcome.returned) return 1;
  }

  agent::LinkOptions options;
  options.role = "client";
  options.argv = agent::AgentDriver::argv_of(agent_command);
  options.private_dir = dir;
  auto link = agent::AgentLink::start(options);
  if (!link) {
    std::cerr << link.error().reason << '\n';
    return 2;
  }
  const auto soon = [] { return Steady::now() + std::chrono::seconds(10); };
  if (!(*link)->request("bind", agent::Json{{"binding", (*server)->binding()}}, soon()) ||
      !(*link)->request("start_thread", agent::Json{{"thread", "t1"}}, soon())) {
    std::cerr << "the agent would not bind\n";
    return 2;
  }
  const agent::Json call{{"thread", "t1"}, {"opnum", 0}, {"input", agent::hex_of(input)}};
  std::vector<double> agent_us;
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Steady::now();
    if (!(*link)->request("call", call, soon())) return 1;
    agent_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
  }
  (*link)->request("end_calls", nullptr, soon());
  (*link)->request("shutdown", nullptr, soon());
  (*link)->stop(std::chrono::milliseconds(2000));
  (*client).reset();
  (*server)->stop(std::chrono::seconds(1));
  std::filesystem::remove_all(dir);

  // A fresh agent per scenario: what starting one and its hello cost.
  std::vector<double> start_us;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = Steady::now();
    auto fresh = agent::AgentLink::start(options);
    if (!fresh) return 1;
    start_us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - t0).count());
    (*fresh)->stop(std::chrono::milliseconds(0));
  }
  const Stats started = stats_of(start_us);
  const Stats in = stats_of(inproc_us), ag = stats_of(agent_us);
  std::printf("calls: %d each, echo of 8 bytes on ncacn_ip_tcp\n", calls);
  std::printf("in process:    median %8.1f us  p90 %8.1f us\n", in.median_us, in.p90_us);
  std::printf("through agent: median %8.1f us  p90 %8.1f us\n", ag.median_us, ag.p90_us);
  std::printf("agent / in process: median %.2fx, p90 %.2fx; the agent path adds %.1f us a call\n",
              ag.median_us / in.median_us, ag.p90_us / in.p90_us, ag.median_us - in.median_us);
  std::printf("a fresh agent (start and hello): median %.1f ms, p90 %.1f ms\n",
              started.median_us / 1000, started.p90_us / 1000);
  return 0;
}
