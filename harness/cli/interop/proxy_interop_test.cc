// `rpcfit proxy` between two foreign-to-each-other peers: python3-impacket's DCERPC_v5 client
// (impacket_client.py) calls `rpcfit serve` through the proxy with latency on the way back; the
// answer arrives intact and late, and the proxy's capture decodes in tshark as a plain
// conversation. Skipped when /usr/bin/python3, impacket or tshark is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/cli/cli_test_util.h"

namespace rpcfit::cli {
namespace {

using testing::ChildProcess;
using testing::ProcessResult;
using testing::run_process;

using testing::kPython;
using testing::words_of;

constexpr const char* kTshark = "/usr/bin/tshark";
constexpr auto kPatience = std::chrono::seconds(60);

// The port in a line ending "...:PORT" or "...[PORT]".
std::string port_in(const std::string& text) {
  const auto from = text.find_last_of(":[") + 1;
  auto to = text.find_first_not_of("0123456789", from);
  if (to == std::string::npos) to = text.size();
  return text.substr(from, to - from);
}

class ProxyInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto missing = testing::impacket_missing()) GTEST_SKIP() << *missing;
    if (access(kTshark, X_OK) != 0) GTEST_SKIP() << kTshark << " is missing";
    dir_ = std::filesystem::temp_directory_path() /
           ("rpcfit-proxy-interop-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    serve_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{RPCFIT_EXECUTABLE, "serve", "ncacn_ip_tcp:127.0.0.1[0]"});
    auto line = serve_->read_line(kPatience);
    ASSERT_TRUE(line.has_value()) << "rpcfit serve printed nothing";
    serve_port_ = port_in(*line);
  }
  void TearDown() override {
    proxy_.reset();
    serve_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> serve_;
  std::unique_ptr<ChildProcess> proxy_;
  std::string serve_port_;
};

TEST_F(ProxyInterop, ImpacketThroughADelayingProxyArrivesIntactAndTheCaptureDecodes) {
  const std::string pcap = (dir_ / "p.pcap").string();
  proxy_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{RPCFIT_EXECUTABLE, "proxy", "--listen", "127.0.0.1:0", "--upstream",
                               "127.0.0.1:" + serve_port_, "--fault", "latency,delay=200ms,dir=s2c",
                               "--capture", pcap, "--seed", "1"});
  ASSERT_EQ(proxy_->read_line(kPatience), std::optional<std::string>("seed 1"));
  const auto listening = proxy_->read_line(kPatience);
  ASSERT_TRUE(listening.has_value());
  ASSERT_EQ(listening->rfind("listening ", 0), 0u) << *listening;
  const std::string proxy_port = port_in(listening->substr(0, listening->find(" -> ")));

  const ProcessResult r =
      run_process({kPython, RPCFIT_SOURCE_DIR "/harness/cli/interop/impacket_client.py", proxy_port,
                   "0", "00010203040506070809"},
                  {}, kPatience);
  const auto words = words_of(r.out);
  ASSERT_EQ(words.size(), 3u) << r.out << r.err;
  EXPECT_EQ(words[0], "ok");
  EXPECT_EQ(words[1], "00010203040506070809");
  EXPECT_GE(std::stod(words[2]), 0.2) << "the response waited 200 ms";

  ASSERT_EQ(proxy_->terminate(kPatience), 0);
  std::string last;
  while (auto line = proxy_->read_line(kPatience))
    last = *line;
  EXPECT_EQ(last, "injected: latency=2");  // bind_ack and response

  const ProcessResult shark =
      run_process({kTshark, "-r", pcap, "-Y", "dcerpc", "-T", "fields", "-e", "dcerpc.pkt_type"},
                  {}, kPatience);
  ASSERT_EQ(shark.status, 0) << shark.err;
  EXPECT_EQ(words_of(shark.out), (std::vector<std::string>{"11", "12", "0", "2"})) << shark.out;
  const ProcessResult ends = run_process(
      {kTshark, "-r", pcap, "-Y", "dcerpc.pkt_type == 0", "-T", "fields", "-e", "tcp.dstport"}, {},
      kPatience);
  EXPECT_EQ(words_of(ends.out), (std::vector<std::string>{serve_port_}))
      << "the request goes to the server's own port";
}

}  // namespace
}  // namespace rpcfit::cli
