// `rpcfit proxy` as a user runs it: a child process between rpcfit's own client runtime and
// server (both in this process), printing its seed, its address and its faults, and on SIGTERM
// the faults it injected.
#include "harness/cli/proxy_command.h"

#include <gtest/gtest.h>

#include <memory>

#include "drivers/runtime/client.h"
#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/server.h"
#include "drivers/runtime/test_interface.h"
#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

using testing::ChildProcess;
using testing::run_process;

constexpr auto kPatience = std::chrono::seconds(30);

// The test interface on ncacn_ip_tcp:127.0.0.1[port], and a client runtime, at real time.
struct Upstream {
  Upstream() {
    rpc::RuntimeOptions options;
    options.clock = &clock;
    runtime = std::make_unique<rpc::Runtime>(options);
    server = std::make_unique<rpc::Server>(*runtime);
    server->register_interface(rpc::test_interface());
    auto listening = server->listen(transport::Protseq::ncacn_ip_tcp);
    EXPECT_TRUE(listening.ok());
    if (listening) port = *listening;
  }
  RealClock clock;
  std::unique_ptr<rpc::Runtime> runtime;
  std::unique_ptr<rpc::Server> server;
  std::string port;
};

TEST(ProxyCommand, PrintsSeedAndAddressForwardsCallsAndCountsFaultsOnStop) {
  Upstream up;
  ASSERT_FALSE(up.port.empty());
  ChildProcess proxy({RPCFIT_EXECUTABLE, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                      "127.0.0.1:" + up.port, "--fault", "latency,delay=100ms", "--seed", "7"});
  ASSERT_TRUE(proxy.started());
  EXPECT_EQ(proxy.read_line(kPatience), std::optional<std::string>("seed 7"));
  const auto listening = proxy.read_line(kPatience);
  ASSERT_TRUE(listening.has_value());
  const std::string suffix = " -> upstream 127.0.0.1:" + up.port + " (tcp)";
  ASSERT_EQ(listening->rfind("listening 127.0.0.1:", 0), 0u) << *listening;
  ASSERT_NE(listening->find(suffix), std::string::npos) << *listening;
  const std::string port = listening->substr(20, listening->size() - 20 - suffix.size());
  EXPECT_NE(port, "0") << "the real port";
  EXPECT_EQ(proxy.read_line(kPatience), std::optional<std::string>("fault latency,delay=100ms"));

  auto binding = rpc::Binding::from_string(*up.runtime, "ncacn_ip_tcp:127.0.0.1[" + port + "]");
  ASSERT_TRUE(binding.ok());
  const Duration start = up.clock.now();
  EXPECT_EQ((*binding)->call(rpc::test_interface_id(), rpc::test_op::kEcho, Bytes{1, 2, 3}),
            (Bytes{1, 2, 3}));
  // bind, bind_ack, request and response each wait 100 ms.
  EXPECT_GE(up.clock.now() - start, std::chrono::milliseconds(400));
  binding->reset();

  EXPECT_EQ(proxy.terminate(kPatience), 0);
  std::vector<std::string> rest;
  while (auto line = proxy.read_line(kPatience))
    rest.push_back(*line);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0], "conversations 1, upstream failures 0");
  EXPECT_EQ(rest[1], "injected: latency=4");
}

TEST(ProxyCommand, ABadFaultExitsTwoNamingTheProblem) {
  const auto r = run_process({RPCFIT_EXECUTABLE, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                              "127.0.0.1:135", "--fault", "latency,delay=soon"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("fault \"latency,delay=soon\": delay"), std::string::npos) << r.err;
}

TEST(ProxyCommand, AFaultThatDoesNotApplyOrABadAddressExitsTwo) {
  auto r = run_process({RPCFIT_EXECUTABLE, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                        "127.0.0.1:135", "--fault", "reorder"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("reorder does not apply to a TCP proxy"), std::string::npos) << r.err;
  r = run_process(
      {RPCFIT_EXECUTABLE, "proxy", "--listen", "127.0.0.1:0", "--upstream", "localhost", "--udp"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--upstream: expected ADDR:PORT"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rpcfit::cli
