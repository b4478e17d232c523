// `rpcfit call` against an in-process rpcfit server (test interface on ncacn_ip_tcp and
// ncalrpc), through the built executable. Waits are on the child's exit, never on sleeps.
#include "harness/cli/call_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "captures/tshark_reference.h"
#include "drivers/runtime/server.h"
#include "drivers/runtime/test_interface.h"
#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ProcessResult;
using testing::run_process;

std::vector<std::string> types_of(const json& pdus, const std::string& dir = "") {
  std::vector<std::string> out;
  for (const auto& p : pdus) {
    if (dir.empty() || p["dir"] == dir) out.push_back(p["type"].get<std::string>());
  }
  return out;
}

std::size_t count_of(const json& pdus, const std::string& dir, const std::string& type) {
  std::size_t n = 0;
  for (const auto& p : pdus)
    n += p["dir"] == dir && p["type"] == type ? 1u : 0u;
  return n;
}

class CallCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(::testing::TempDir()) / "rpcfit-call-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    rpc::RuntimeOptions options;
    options.clock = &clock_;
    options.run_dir = dir_;
    runtime_ = std::make_unique<rpc::Runtime>(options);
    server_ = std::make_unique<rpc::Server>(*runtime_);
    server_->register_interface(rpc::test_interface());
    auto tcp = server_->listen(transport::Protseq::ncacn_ip_tcp);
    ASSERT_TRUE(tcp.ok()) << tcp.error();
    tcp_ = "ncacn_ip_tcp:127.0.0.1[" + *tcp + "]";
    auto lrpc = server_->listen(transport::Protseq::ncalrpc);
    ASSERT_TRUE(lrpc.ok()) << lrpc.error();
    lrpc_ = "ncalrpc:[" + *lrpc + "]";
    auto udp = server_->listen(transport::Protseq::ncadg_ip_udp);
    ASSERT_TRUE(udp.ok()) << udp.error();
    udp_ = "ncadg_ip_udp:127.0.0.1[" + *udp + "]";
    auto mq = server_->listen(transport::Protseq::ncadg_mq);
    ASSERT_TRUE(mq.ok()) << mq.error();
    mq_ = "ncadg_mq:[" + *mq + "]";
  }
  void TearDown() override {
    if (server_) server_->stop(seconds(5));
    server_.reset();
    runtime_.reset();
    fs::remove_all(dir_);
  }

  ProcessResult rpcfit(std::vector<std::string> args) {
    args.insert(args.begin(), RPCFIT_EXECUTABLE);
    return run_process(args, {"RPCFIT_RUN_DIR=" + dir_.string()});
  }
  // Runs with --json and parses the one object it prints.
  json rpcfit_json(std::vector<std::string> args, int expected_status) {
    args.push_back("--json");
    const ProcessResult r = rpcfit(args);
    EXPECT_EQ(r.status, expected_status) << r.out << r.err;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "not exactly one line: " << r.out;
    try {
      return json::parse(r.out);
    } catch (const json::exception& e) {
      ADD_FAILURE() << e.what() << " in: " << r.out << r.err;
      return json::object();
    }
  }

  RealClock clock_{1.0};
  fs::path dir_;
  std::unique_ptr<rpc::Runtime> runtime_;
  std::unique_ptr<rpc::Server> server_;
  std::string tcp_;
  std::string lrpc_;
  std::string udp_;
  std::string mq_;
};

TEST_F(CallCommand, EchoReturnsTheInputAsOneJsonObject) {
  const json j = rpcfit_json({"call", tcp_, "--opnum", "0", "--in-hex", "00 01 02 03"}, 0);
  EXPECT_EQ(j["binding"], tcp_);
  EXPECT_EQ(j["interface"], rpc::test_interface_id().uuid.to_string());
  EXPECT_EQ(j["version"], "1.0");
  EXPECT_EQ(j["opnum"], 0);
  EXPECT_TRUE(j["cancel"].is_null());
  EXPECT_EQ(j["outcome"]["returned"], true);
  EXPECT_EQ(j["outcome"]["status"], "RPC_S_OK");
  EXPECT_EQ(j["outcome"]["output_hex"], "00010203");
  EXPECT_GE(j["elapsed_ms"].get<double>(), 0.0);
  EXPECT_EQ(types_of(j["pdus"]),
            (std::vector<std::string>{"bind", "bind_ack", "request", "response"}));
  EXPECT_EQ(types_of(j["pdus"], "out"), (std::vector<std::string>{"bind", "request"}));
  double last = 0;
  for (const auto& p : j["pdus"]) {
    EXPECT_GE(p["at_ms"].get<double>(), last) << p;
    last = p["at_ms"].get<double>();
    EXPECT_TRUE(p.contains("call_id") && p.contains("flags") && p.contains("text")) << p;
    EXPECT_FALSE(p.contains("frame")) << p;
  }
}

TEST_F(CallCommand, EchoTextShowsResultElapsedAndPdus) {
  const ProcessResult r = rpcfit({"call", tcp_, "--opnum", "0", "--in-bytes", "300"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  std::string pattern;  // the first 64 bytes of 00 01 02 ..., as shown in text
  for (int i = 0; i < 64; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", i);
    pattern += byte;
  }
  EXPECT_NE(r.out.find("call: returned 300 bytes: " + pattern + " ...\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nelapsed: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ms  ->  bind call_id=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ms  <-  response call_id=1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cancel:"), std::string::npos) << r.out;
}

TEST_F(CallCommand, CancelOfCancellableCallRaisesCallCancelled) {
  // opnum 1 waits up to 10 s for a cancel; the co_cancel ends it with nca_s_fault_cancel.
  const json j = rpcfit_json(
      {"call", tcp_, "--opnum", "1", "--in-hex", "10270000", "--cancel-after", "100"}, 1);
  EXPECT_EQ(j["cancel"]["api"], "RpcCancelThreadEx");
  EXPECT_EQ(j["cancel"]["timeout"], -1);
  EXPECT_EQ(j["cancel"]["sent"], true);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_OK");
  EXPECT_GE(j["cancel"]["at_ms"].get<double>(), 100.0);
  EXPECT_EQ(j["outcome"]["returned"], false);
  EXPECT_EQ(j["outcome"]["status"], "RPC_S_CALL_CANCELLED");
  EXPECT_EQ(j["outcome"]["value"], 1818);
  EXPECT_LT(j["elapsed_ms"].get<double>(), 9000.0);
  EXPECT_EQ(count_of(j["pdus"], "out", "co_cancel"), 1u);
  EXPECT_EQ(count_of(j["pdus"], "out", "orphaned"), 0u);
  ASSERT_EQ(count_of(j["pdus"], "in", "fault"), 1u);
  EXPECT_EQ(j["pdus"].back()["status"], 0x1C00000D);
}

TEST_F(CallCommand, CancelThreadUsesTheThreadsOwnTimeout) {
  const ProcessResult r = rpcfit({"call", tcp_, "--opnum", "1", "--in-hex", "10270000",
                                  "--cancel-after", "100", "--cancel-thread"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("cancel: RPC_S_OK at "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(RpcCancelThread, access 0x1fffff)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("call: raised RPC_S_CALL_CANCELLED (1818)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("->  co_cancel call_id=1 flags=LAST|PENDING_CANCEL"), std::string::npos)
      << r.out;
}

TEST_F(CallCommand, ZeroTimeoutOnDeafCallOrphansAtOnce) {
  // opnum 2 sleeps 3 s ignoring cancels; timeout 0 sends co_cancel and orphaned at the cancel.
  const json j = rpcfit_json({"call", tcp_, "--opnum", "2", "--in-hex", "b80b0000",
                              "--cancel-after", "100", "--cancel-timeout", "0"},
                             1);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_OK");
  EXPECT_EQ(j["cancel"]["timeout"], 0);
  EXPECT_EQ(j["outcome"]["status"], "RPC_S_CALL_CANCELLED");
  EXPECT_LT(j["elapsed_ms"].get<double>(), 2500.0);
  EXPECT_EQ(types_of(j["pdus"], "out"),
            (std::vector<std::string>{"bind", "request", "co_cancel", "orphaned"}));
  EXPECT_EQ(types_of(j["pdus"], "in"), (std::vector<std::string>{"bind_ack"}));
}

TEST_F(CallCommand, NegativeTimeoutIsInvalid) {
  const json j = rpcfit_json({"call", tcp_, "--opnum", "1", "--in-hex", "f4010000",
                              "--cancel-after", "100", "--cancel-timeout", "-2"},
                             0);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_INVALID_TIMEOUT");
  EXPECT_EQ(j["outcome"]["output_hex"], "f4010000");
  EXPECT_EQ(count_of(j["pdus"], "out", "co_cancel"), 0u);
}

TEST_F(CallCommand, NcalrpcCannotBeCancelledAndTheCallReturns) {
  const json j = rpcfit_json(
      {"call", lrpc_, "--opnum", "1", "--in-hex", "f4010000", "--cancel-after", "100"}, 0);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_CANNOT_SUPPORT");
  EXPECT_EQ(j["outcome"]["returned"], true);
  EXPECT_EQ(j["outcome"]["output_hex"], "f4010000");
  EXPECT_EQ(types_of(j["pdus"]),
            (std::vector<std::string>{"bind", "bind_ack", "request", "response"}));
}

TEST_F(CallCommand, HandleWithoutSetContextIsDenied) {
  const json j = rpcfit_json({"call", tcp_, "--opnum", "1", "--in-hex", "f4010000",
                              "--cancel-after", "100", "--access", "0x40"},
                             0);
  EXPECT_EQ(j["cancel"]["status"], "RPC_S_ACCESS_DENIED");
  EXPECT_EQ(j["cancel"]["access"], 0x40);
  EXPECT_EQ(j["outcome"]["returned"], true);
  EXPECT_EQ(count_of(j["pdus"], "out", "co_cancel"), 0u);
}

TEST_F(CallCommand, CancelIsNotSentWhenTheCallEndsFirst) {
  const ProcessResult r = rpcfit({"call", tcp_, "--opnum", "0", "--cancel-after", "20000"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cancel: not sent: the call ended before 20000 ms"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("call: returned 0 bytes\n"), std::string::npos) << r.out;
}

TEST_F(CallCommand, CaptureIsReadBackByCaptureDump) {
  const std::string pcap = (dir_ / "call.pcap").string();
  const json j = rpcfit_json({"call", tcp_, "--opnum", "1", "--in-hex", "10270000",
                              "--cancel-after", "100", "--capture", pcap},
                             1);
  EXPECT_EQ(j["capture"], pcap);
  const ProcessResult dump = rpcfit({"capture", "dump", "--json", pcap});
  ASSERT_EQ(dump.status, 0) << dump.err;
  std::vector<std::string> dumped;
  std::vector<std::string> directions;
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line);) {
    const json p = json::parse(line);
    dumped.push_back(p["type"].get<std::string>());
    directions.push_back(p["direction"].get<std::string>());
  }
  EXPECT_EQ(dumped, types_of(j["pdus"]));
  EXPECT_EQ(dumped,
            (std::vector<std::string>{"bind", "bind_ack", "request", "co_cancel", "fault"}));
  EXPECT_EQ(directions, (std::vector<std::string>{"to_server", "to_client", "to_server",
                                                  "to_server", "to_client"}));
}

TEST_F(CallCommand, DatagramCallsWorkOverUdpAndMessageQueues) {
  for (const auto& binding : {udp_, mq_}) {
    const json j = rpcfit_json({"call", binding, "--opnum", "0", "--in-hex", "0a0b"}, 0);
    EXPECT_EQ(j["outcome"]["output_hex"], "0a0b") << binding;
    EXPECT_EQ(types_of(j["pdus"]), (std::vector<std::string>{"request", "response", "ack"}))
        << binding;
    EXPECT_EQ(types_of(j["pdus"], "out"), (std::vector<std::string>{"request", "ack"})) << binding;
  }
}

TEST_F(CallCommand, DatagramCancelIsCapturedAsUdp) {
  const std::string pcap = (dir_ / "dg.pcap").string();
  const json j = rpcfit_json({"call", udp_, "--opnum", "1", "--in-hex", "10270000",
                              "--cancel-after", "100", "--capture", pcap},
                             1);
  EXPECT_EQ(j["outcome"]["status"], "RPC_S_CALL_CANCELLED");
  EXPECT_EQ(count_of(j["pdus"], "out", "cl_cancel"), 1u) << j["pdus"];
  EXPECT_EQ(count_of(j["pdus"], "in", "cancel_ack"), 1u) << j["pdus"];
  EXPECT_EQ(count_of(j["pdus"], "in", "fault"), 1u) << j["pdus"];
  const ProcessResult dump = rpcfit({"capture", "dump", "--json", pcap});
  ASSERT_EQ(dump.status, 0) << dump.err;
  std::vector<std::string> dumped;
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line);)
    dumped.push_back(json::parse(line)["type"].get<std::string>());
  EXPECT_EQ(dumped, types_of(j["pdus"]));
  // Wireshark finds the connectionless PDUs on the UDP port and reads them as rpcfit does,
  // cancel_id included.
  std::string why;
  auto tshark = captures::testing::tshark_summary(pcap, why);
  if (!tshark && captures::testing::tshark_path().empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(tshark) << why;
  const auto ours = captures::testing::reader_summary(captures::read_capture_file(pcap));
  EXPECT_EQ(captures::testing::diff(*tshark, ours), "");
  std::size_t cancel_ids = 0;
  for (const auto& [frame, summary] : ours)
    cancel_ids += summary.cancel_ids.size();
  EXPECT_EQ(cancel_ids, 2u) << "cl_cancel and cancel_ack";
}

TEST_F(CallCommand, UsageErrorsExit2) {
  auto expect_usage = [this](std::vector<std::string> args, const std::string& message) {
    const ProcessResult r = rpcfit(args);
    EXPECT_EQ(r.status, 2) << args.back() << ": " << r.out << r.err;
    EXPECT_EQ(r.out, "") << args.back();
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  };
  expect_usage({"call", "ncacn_ip_tcp:127.0.0.1[", "--opnum", "0"}, "RPC_S_INVALID_BINDING (1702)");
  expect_usage({"call", "ncacn_ip_tcp:127.0.0.1", "--opnum", "0"}, "RPC_S_INVALID_BINDING");
  expect_usage({"call", "ncacn_nb_tcp:127.0.0.1[135]", "--opnum", "0"},
               "RPC_S_PROTSEQ_NOT_SUPPORTED (1703)");
  expect_usage({"call", tcp_, "--opnum", "0", "--in-hex", "0g"}, "--in-hex");
  expect_usage({"call", tcp_, "--opnum", "0", "--in-hex", "123"}, "--in-hex");
  expect_usage({"call", tcp_, "--opnum", "0", "--if", "not-a-uuid"}, "--if");
  expect_usage(
      {"call", tcp_, "--opnum", "0", "--if", rpc::test_interface_id().uuid.to_string() + ":1"},
      "--if");
  expect_usage({"call", tcp_, "--opnum", "0", "--access", "0xZZ", "--cancel-after", "1"},
               "--access");
  expect_usage({"call", tcp_, "--opnum", "0", "--cancel-timeout", "2"}, "--cancel-after");
  expect_usage({"call", tcp_, "--opnum", "0", "--cancel-after", "1", "--cancel-timeout", "2",
                "--cancel-thread"},
               "--cancel-");
  expect_usage({"call", tcp_, "--opnum", "0", "--in-hex", "00", "--in-bytes", "1"}, "--in-");
  expect_usage({"call", tcp_}, "--opnum");
  expect_usage({"call", tcp_, "--opnum", "70000"}, "--opnum");
  expect_usage({"call", tcp_, "--opnum", "0", "--capture", (dir_ / "no" / "x.pcap").string()},
               "cannot write the capture: " + (dir_ / "no" / "x.pcap").string());
}

// The function itself, for what the executable's option parser does not see.
TEST(CallCommandFunction, RejectsWhatTheOptionParserDoesNotSee) {
  std::ostringstream out, err;
  CallOptions o;
  o.binding = "ncacn_ip_tcp:127.0.0.1[1]";
  o.in_hex = "00";
  o.in_bytes = 1;
  EXPECT_EQ(call_command(o, out, err), 2);
  o.in_bytes.reset();
  o.cancel_after_ms = -5;
  EXPECT_EQ(call_command(o, out, err), 2);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find("--cancel-after must be 0..2147483647"), std::string::npos) << err.str();
  o.cancel_after_ms = 10;
  o.cancel_timeout = 10'000'000'000;  // beyond a Windows LONG
  EXPECT_EQ(call_command(o, out, err), 2);
  EXPECT_NE(err.str().find("--cancel-timeout must be a 32-bit LONG"), std::string::npos)
      << err.str();
}

TEST(CallCommandFunction, ParsesInterfacesAndAccessMasks) {
  const auto plain = parse_interface("aa4b9a65-9bbb-456a-9fad-4a7ad417b890");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, rpc::test_interface_id());
  const auto versioned = parse_interface("aa4b9a65-9bbb-456a-9fad-4a7ad417b890:3.2");
  ASSERT_TRUE(versioned.has_value());
  EXPECT_EQ(versioned->version, 3u | (2u << 16));
  EXPECT_FALSE(parse_interface("aa4b9a65-9bbb-456a-9fad-4a7ad417b890:65536.0"));
  EXPECT_FALSE(parse_interface("aa4b9a65-9bbb-456a-9fad-4a7ad417b890:1."));
  EXPECT_FALSE(parse_interface("aa4b9a65-9bbb-456a-9fad-4a7ad417b89:1.0"));
  EXPECT_EQ(parse_access("0x1FFFFF"), 0x1FFFFFu);
  EXPECT_EQ(parse_access("16"), 16u);
  EXPECT_FALSE(parse_access("0x"));
  EXPECT_FALSE(parse_access("-1"));
  EXPECT_FALSE(parse_access("0x100000000"));
}

}  // namespace
}  // namespace rpcfit::cli
