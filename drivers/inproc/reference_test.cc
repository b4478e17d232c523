// The reference server and the reference client, each opened alone: the server against a client
// that is not the reference client (a bare runtime standing in for a foreign one), recording
// what its routine saw and what that client sent; the client against a server that is not the
// reference server, with its own view of the wire. Both on TCP and UDP.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "drivers/inproc/reference_client.h"
#include "drivers/inproc/reference_server.h"
#include "drivers/inproc/wire_test_util.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/string_binding.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::inproc {
namespace {

using rpc::testing::kPatience;

bool has(const std::vector<run::WirePdu>& pdus, const std::string& what) {
  return testing::has(testing::sequence(pdus), what);
}

class Alone : public ::testing::TestWithParam<std::string> {
 protected:
  ~Alone() override { rpc::testing::remove_run_dir(dir_); }
  RealClock clock_{0.1};
  std::string dir_ = rpc::testing::make_run_dir();
};
INSTANTIATE_TEST_SUITE_P(Reference, Alone, ::testing::Values("ncacn_ip_tcp", "ncadg_ip_udp"));

TEST_P(Alone, TheServerRecordsWhatAnotherClientSentAndWhatItsRoutineSaw) {
  run::Scenario scenario;
  scenario.protseq = GetParam();
  scenario.server.behaviour.kind = server::BehaviourKind::normal;
  scenario.server.by_opnum[0] = scenario.server.behaviour;
  ReferenceServerSetup setup;
  setup.scenario = &scenario;
  setup.clock = &clock_;
  setup.run_dir = dir_;
  setup.keep_wire = true;
  auto server = ReferenceServer::open(setup);
  ASSERT_TRUE(server) << server.error();
  EXPECT_EQ((*server)->binding().rfind(GetParam() + ":127.0.0.1[", 0), 0u) << (*server)->binding();

  {
    // Not the reference client: a runtime of its own, as a foreign client would be.
    rpc::RuntimeOptions options;
    options.clock = &clock_;
    options.run_dir = dir_;
    rpc::Runtime client(options);
    auto binding = rpc::Binding::from_string(client, (*server)->binding());
    ASSERT_TRUE(binding);
    const Bytes output = (*binding)->call(rpc::test_interface_id(), 0, Bytes{1, 2, 3});
    EXPECT_EQ(output, (Bytes{1, 2, 3}));
  }
  ASSERT_TRUE((*server)->wait_calls(
      [](const auto& calls) { return calls.size() == 1 && calls[0].result.has_value(); },
      kPatience));
  const auto calls = (*server)->calls();
  EXPECT_EQ(calls[0].opnum, 0);
  EXPECT_EQ(calls[0].result, run::ServerResult::response);
  const auto wire = (*server)->wire();
  EXPECT_TRUE(has(wire, "out request")) << ::testing::PrintToString(testing::sequence(wire));
  EXPECT_TRUE(has(wire, "in response")) << ::testing::PrintToString(testing::sequence(wire));
  EXPECT_EQ((*server)->stop(std::chrono::seconds(1)), 0u);
}

TEST_P(Alone, TheClientCallsAnotherServerAndKeepsItsViewOfTheWire) {
  // Not the reference server: rpcfit's test interface on a server of its own.
  rpc::RuntimeOptions options;
  options.clock = &clock_;
  options.run_dir = dir_;
  rpc::Runtime server_runtime(options);
  rpc::Server server(server_runtime);
  server.register_interface(rpc::test_interface());
  const auto protseq = transport::parse_protseq(GetParam());
  ASSERT_TRUE(protseq);
  auto endpoint = server.listen(*protseq, "");
  ASSERT_TRUE(endpoint) << endpoint.error();

  ReferenceClientSetup setup;
  setup.clock = &clock_;
  setup.run_dir = dir_;
  setup.binding = rpc::local_binding(*protseq, *endpoint);
  auto client = ReferenceClient::open(setup);
  ASSERT_TRUE(client) << client.error();
  run::CallOutcome outcome;
  std::thread caller([&] {
    (*client)->register_thread();
    outcome = (*client)->call(rpc::test_op::kEcho, Bytes(8, 0x5a));
  });
  caller.join();
  EXPECT_TRUE(outcome.returned) << outcome.detail;
  EXPECT_EQ(outcome.output.size(), 8u);
  EXPECT_TRUE((*client)->wait_wire(
      [](const auto& pdus) { return has(pdus, "out request") && has(pdus, "in response"); },
      kPatience));
  (*client)->end_calls();
  EXPECT_EQ((*client)->finish(), "");
  // Finished: no call may start.
  EXPECT_EQ((*client)->call(0, {}).status, status::kInvalidBinding);
}

TEST(Reference, WhatCannotBeOpenedIsSaid) {
  RealClock clock(1);
  run::Scenario scenario;
  scenario.protseq = "ncacn_at_dsp";
  ReferenceServerSetup server;
  server.scenario = &scenario;
  server.clock = &clock;
  auto refused = ReferenceServer::open(server);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "the runtime does not speak ncacn_at_dsp");

  ReferenceClientSetup client;
  client.clock = &clock;
  client.binding = "ncacn_ip_tcp:127.0.0.1[";
  auto malformed = ReferenceClient::open(client);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error(), "binding ncacn_ip_tcp:127.0.0.1[: RPC_S_INVALID_BINDING");
}

}  // namespace
}  // namespace rpcfit::inproc
