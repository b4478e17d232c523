#include "harness/cli/capture_dump.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/cli/capture_example.h"

namespace rpcfit::cli {
namespace {

namespace fs = std::filesystem;

class CaptureDump : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(::testing::TempDir()) / "rpcfit-dump-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    example_ = (dir_ / "example.pcap").string();
    auto written = write_capture_example(example_);
    ASSERT_TRUE(written.ok()) << written.error().to_string();
    frames_ = *written;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
    return out;
  }

  fs::path dir_;
  std::string example_;
  std::uint64_t frames_ = 0;
};

TEST_F(CaptureDump, TextIsOneLinePerPduFrameFirst) {
  std::ostringstream out, err;
  ASSERT_EQ(capture_dump(example_, false, out, err), 0) << err.str();
  const auto l = lines(out.str());
  ASSERT_EQ(l.size(), 12u);
  EXPECT_EQ(
      l[0].rfind("4  0.001000000  127.0.0.1:49152 -> 127.0.0.1:49153  tcp  bind call_id=1", 0), 0u)
      << l[0];
  EXPECT_NE(l[3].find("co_cancel call_id=2 flags=LAST|PENDING_CANCEL"), std::string::npos) << l[3];
  EXPECT_NE(l[7].find("2.300000000"), std::string::npos) << l[7];
  EXPECT_NE(l[9].find("udp  cl_cancel seqnum=0"), std::string::npos) << l[9];
  EXPECT_EQ(err.str(), "");
}

TEST_F(CaptureDump, JsonLinesCarryTheDocumentedFields) {
  std::ostringstream out, err;
  ASSERT_EQ(capture_dump(example_, true, out, err), 0) << err.str();
  const auto l = lines(out.str());
  ASSERT_EQ(l.size(), 12u);
  for (const std::string& line : l) {
    const auto j = nlohmann::json::parse(line);
    for (const char* key : {"frame", "time", "src", "dst", "transport", "version", "ptype", "type",
                            "flags", "drep", "frag_length", "direction"}) {
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << line;
    }
    if (j["version"] == 5) {
      EXPECT_TRUE(j.contains("call_id")) << line;
    } else {
      EXPECT_TRUE(j.contains("seqnum") && j.contains("fragnum") && j.contains("flags2")) << line;
    }
  }
  const auto request = nlohmann::json::parse(l[2]);
  EXPECT_EQ(request["type"], "request");
  EXPECT_EQ(request["opnum"], 1);
  EXPECT_EQ(request["context_id"], 0);
  EXPECT_EQ(request["alloc_hint"], 8);
  EXPECT_EQ(request["transport"], "tcp");
  EXPECT_EQ(request["direction"], "to_server");
  const auto fault = nlohmann::json::parse(l[4]);
  EXPECT_EQ(fault["status"], 0x1C00000D);
  EXPECT_EQ(fault["cancel_count"], 1);
  EXPECT_EQ(fault["direction"], "to_client");
  const auto cancel = nlohmann::json::parse(l[3]);
  EXPECT_EQ(cancel["ptype"], 18);
  EXPECT_EQ(cancel["flags"], 6);
  EXPECT_EQ(cancel["frag_length"], 16);
  const auto cl_cancel = nlohmann::json::parse(l[9]);
  EXPECT_EQ(cl_cancel["version"], 4);
  EXPECT_EQ(cl_cancel["cancel_id"], 1);
  EXPECT_EQ(cl_cancel["transport"], "udp");
}

TEST_F(CaptureDump, TruncatedFileNamesFileAndFrameAndExits2) {
  const std::string cut = (dir_ / "cut.pcap").string();
  fs::copy_file(example_, cut);
  fs::resize_file(cut, fs::file_size(cut) - 10);
  std::ostringstream out, err;
  EXPECT_EQ(capture_dump(cut, false, out, err), 2);
  EXPECT_NE(err.str().find(cut + ": frame " + std::to_string(frames_) + ": "), std::string::npos)
      << err.str();
  EXPECT_EQ(lines(out.str()).size(), 11u);  // everything before the damaged last record
}

TEST_F(CaptureDump, GarbageFileIsAnErrorAtTheHeader) {
  const std::string junk = (dir_ / "junk.pcap").string();
  std::ofstream(junk) << "this is not a capture file at all";
  std::ostringstream out, err;
  EXPECT_EQ(capture_dump(junk, true, out, err), 2);
  EXPECT_NE(err.str().find(junk + ": file header: "), std::string::npos) << err.str();
  EXPECT_EQ(out.str(), "");
}

// The executable itself: exit statuses as a shell sees them.
int run(const std::string& args) {
  const int status = std::system((std::string(RPCFIT_EXECUTABLE) + " " + args).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(CaptureDump, ExecutableExitStatuses) {
  const std::string quiet = " >/dev/null 2>&1";
  EXPECT_EQ(run("capture dump " + example_ + quiet), 0);
  EXPECT_EQ(run("capture dump --json " + example_ + quiet), 0);
  EXPECT_EQ(run("capture dump " + (dir_ / "missing.pcap").string() + quiet), 2);
  EXPECT_EQ(run("capture dump" + quiet), 2);  // FILE is required
  EXPECT_EQ(run("no-such-command" + quiet), 2);
  EXPECT_EQ(run("--help" + quiet), 0);
}

}  // namespace
}  // namespace rpcfit::cli
