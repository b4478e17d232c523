// `rpcfit serve` against a foreign client: python3-impacket's DCERPC_v5 (impacket_client.py beside
// this file) calls the normal and slow opnums and gets the right answers, and the server's lines
// say what it did. Skipped when /usr/bin/python3 or impacket is missing.
#include <gtest/gtest.h>
#include <unistd.h>

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
constexpr auto kPatience = std::chrono::seconds(60);

class ImpacketClientInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto missing = testing::impacket_missing()) GTEST_SKIP() << *missing;
    serve_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{RPCFIT_EXECUTABLE, "serve", "ncacn_ip_tcp:127.0.0.1[0]"});
    auto line = serve_->read_line(kPatience);
    ASSERT_TRUE(line.has_value()) << "rpcfit serve printed nothing";
    const auto open = line->rfind('[');
    ASSERT_NE(open, std::string::npos) << *line;
    port_ = line->substr(open + 1, line->size() - open - 2);
  }
  void TearDown() override { serve_.reset(); }

  // impacket_client.py's words: "ok <hex> <seconds>" or "error <text>".
  std::vector<std::string> call(int opnum, const std::string& hex) {
    const ProcessResult r =
        run_process({kPython, RPCFIT_SOURCE_DIR "/harness/cli/interop/impacket_client.py", port_,
                     std::to_string(opnum), hex},
                    {}, kPatience);
    auto out = testing::words_of(r.out);
    EXPECT_FALSE(out.empty()) << r.err;
    return out;
  }

  std::unique_ptr<ChildProcess> serve_;
  std::string port_;
};

TEST_F(ImpacketClientInterop, NormalOpnumEchoes) {
  auto words = call(0, "0102030405");
  ASSERT_GE(words.size(), 2u);
  EXPECT_EQ(words[0], "ok");
  EXPECT_EQ(words[1], "0102030405");
  auto line = serve_->read_line(kPatience);
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("opnum 0 normal"), std::string::npos) << *line;
  EXPECT_NE(line->find("; response"), std::string::npos) << *line;
}

TEST_F(ImpacketClientInterop, SlowOpnumAnswersAfterItsDelay) {
  auto words = call(1, "2c010000");  // 300 ms
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0], "ok");
  EXPECT_EQ(words[1], "2c010000");
  EXPECT_GE(std::stod(words[2]), 0.3);
  auto line = serve_->read_line(kPatience);
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("opnum 1 slow"), std::string::npos) << *line;
}

TEST_F(ImpacketClientInterop, DenyOpnumIsAccessDeniedForImpacketToo) {
  auto words = call(5, "");
  ASSERT_GE(words.size(), 2u);
  EXPECT_EQ(words[0], "error");
  EXPECT_NE(words[1].find("access_denied"), std::string::npos) << words[1];
}

}  // namespace
}  // namespace rpcfit::cli
