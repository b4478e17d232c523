// `rpcfit call` against a foreign server: python3-impacket's DCERPCServer (impacket_server.py
// beside this file) over ncacn_ip_tcp. Each test starts its own server, because DCERPCServer
// serves one connection at a time: a slow call would hold up the next test's bind. Skipped when
// /usr/bin/python3 or impacket is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::ProcessResult;
using testing::run_process;

constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kInterface = "6c9f3c2e-52d1-4b7e-9a0f-3e1d5b7c2a41:1.0";
constexpr double kSlowMs = 1500;  // opnum 1's sleep in impacket_server.py

std::vector<std::string> types_of(const json& pdus, const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& p : pdus) {
    if (p["dir"] == dir) out.push_back(p["type"].get<std::string>());
  }
  return out;
}

class ImpacketInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is missing";
    const ProcessResult probe = run_process({kPython, "-c", "import impacket.dcerpc.v5.rpcrt"}, {},
                                            std::chrono::seconds(60));
    if (probe.status != 0) GTEST_SKIP() << "impacket is not importable: " << probe.err;
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        kPython, RPCFIT_SOURCE_DIR "/harness/cli/interop/impacket_server.py"});
    ASSERT_TRUE(server_->started());
    const auto port = server_->read_line(std::chrono::seconds(60));
    ASSERT_TRUE(port.has_value()) << "impacket_server.py printed no port";
    binding_ = "ncacn_ip_tcp:127.0.0.1[" + *port + "]";
  }
  // The server process is killed here in every case, also after a failed assertion.
  void TearDown() override { server_.reset(); }

  json call(std::vector<std::string> args, int expected_status, bool with_interface = true) {
    std::vector<std::string> argv{RPCFIT_EXECUTABLE, "call", binding_};
    if (with_interface) argv.insert(argv.end(), {"--if", kInterface});
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--json");
    const ProcessResult r = run_process(argv);
    EXPECT_EQ(r.status, expected_status) << r.out << r.err;
    try {
      return json::parse(r.out);
    } catch (const json::exception& e) {
      ADD_FAILURE() << e.what() << " in: " << r.out << r.err;
      return json::object();
    }
  }

  std::unique_ptr<ChildProcess> server_;
  std::string binding_;
};

TEST_F(ImpacketInterop, EchoReturnsTheInput) {
  const json j = call({"--opnum", "0", "--in-hex", "00010203"}, 0);
  EXPECT_EQ(j["outcome"]["returned"], true);
  EXPECT_EQ(j["outcome"]["output_hex"], "00010203");
  EXPECT_EQ(types_of(j["pdus"], "out"), (std::vector<std::string>{"bind", "request"}));
  EXPECT_EQ(types_of(j["pdus"], "in"), (std::vector<std::string>{"bind_ack", "response"}));
  // A second call on a new connection: the server went back to accept().
  const json again = call({"--opnum", "0", "--in-bytes", "100"}, 0);
  EXPECT_EQ(again["outcome"]["output_length"], 100);
}

TEST_F(ImpacketInterop, ZeroTimeoutOrphansTheSlowCall) {
  const json j = call(
      {"--opnum", "1", "--in-hex", "01020304", "--cancel-after", "100", "--cancel-timeout", "0"},
      1);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_OK");
  EXPECT_EQ(j["outcome"]["status"], "RPC_S_CALL_CANCELLED");
  EXPECT_LT(j["elapsed_ms"].get<double>(), kSlowMs - 200);
  EXPECT_EQ(types_of(j["pdus"], "out"),
            (std::vector<std::string>{"bind", "request", "co_cancel", "orphaned"}));
  EXPECT_EQ(types_of(j["pdus"], "in"), (std::vector<std::string>{"bind_ack"}));
}

TEST_F(ImpacketInterop, InfiniteTimeoutWaitsForTheResult) {
  // impacket never reads while its callback runs, and ignores co_cancel: the call returns.
  const json j = call(
      {"--opnum", "1", "--in-hex", "01020304", "--cancel-after", "100", "--cancel-timeout", "-1"},
      0);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_OK");
  EXPECT_EQ(j["outcome"]["returned"], true);
  EXPECT_EQ(j["outcome"]["output_hex"], "01020304");
  EXPECT_GE(j["elapsed_ms"].get<double>(), kSlowMs - 100);
  EXPECT_EQ(types_of(j["pdus"], "out"), (std::vector<std::string>{"bind", "request", "co_cancel"}));
  EXPECT_EQ(types_of(j["pdus"], "in"), (std::vector<std::string>{"bind_ack", "response"}));
}

// impacket answers an unknown opnum with a 28-byte fault (no reserved field after the status,
// which C706 and rpcfit's codec require): the call fails, promptly, with the PDU shown.
TEST_F(ImpacketInterop, UnknownOpnumFails) {
  const json j = call({"--opnum", "7"}, 1);
  EXPECT_EQ(j["outcome"]["returned"], false);
  EXPECT_EQ(types_of(j["pdus"], "in"), (std::vector<std::string>{"bind_ack", "fault"}));
}

// impacket does not answer a bind for an interface it does not serve: it closes the connection.
TEST_F(ImpacketInterop, UnknownInterfaceIsAClosedConnection) {
  const json j = call({"--opnum", "0"}, 1, false);
  EXPECT_EQ(j["outcome"]["status"], "RPC_S_SERVER_UNAVAILABLE");
  EXPECT_EQ(j["outcome"]["detail"], "bind: connection closed by server");
  EXPECT_EQ(types_of(j["pdus"], "in"), std::vector<std::string>{});
}

}  // namespace
}  // namespace rpcfit::cli
