// The reader on captures other projects' test suites recorded (../shared/captures-public, read in
// place): rpcfit's PDUs must be tshark's, frame by frame, PDU by PDU.
#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>

#include "captures/capture_reader.h"
#include "captures/tshark_reference.h"

namespace rpcfit::captures {
namespace {

namespace fs = std::filesystem;

struct PublicCapture {
  const char* file;
  std::size_t min_pdus;  // decoded PDUs rpcfit must find (not SMB-carried)
  bool damaged = false;  // the file itself is cut short
  // Frames where tshark 4.0 decodes no DCE/RPC but rpcfit must, with the reason.
  std::vector<std::uint64_t> tshark_misses = {};
  const char* why_tshark_misses = "";
};

void PrintTo(const PublicCapture& c, std::ostream* os) {
  *os << c.file;
}

class PublicCaptures : public ::testing::TestWithParam<PublicCapture> {};

TEST_P(PublicCaptures, ReaderAgreesWithTshark) {
  const fs::path file = fs::path(RPCFIT_PUBLIC_CAPTURES) / GetParam().file;
  if (!fs::exists(file)) GTEST_SKIP() << "public captures not found at " << file;
  std::string why;
  auto tshark = testing::tshark_summary(file.string(), why);
  if (!tshark && testing::tshark_path().empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(tshark) << why;
  const CaptureContents contents = read_capture_file(file.string());
  EXPECT_EQ(contents.error.has_value(), GetParam().damaged)
      << (contents.error ? contents.error->to_string() : "no error");
  auto ours = testing::reader_summary(contents);
  for (std::uint64_t frame : GetParam().tshark_misses) {
    SCOPED_TRACE(GetParam().why_tshark_misses);
    EXPECT_EQ(tshark->count(frame), 0u) << "tshark now decodes frame " << frame;
    EXPECT_EQ(ours.count(frame), 1u) << "rpcfit decodes nothing in frame " << frame;
    ours.erase(frame);
  }
  EXPECT_EQ(testing::diff(*tshark, ours), "");
  std::size_t n = 0;
  for (const auto& [frame, f] : ours)
    n += f.pdus.size();
  EXPECT_GE(n, GetParam().min_pdus);
  for (const ReadPdu& p : contents.pdus) {
    EXPECT_TRUE(p.ok()) << "frame " << p.frame << ": "
                        << std::get<wire::Error>(p.decoded).to_string();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Files, PublicCaptures,
    ::testing::Values(PublicCapture{"arkime__dcerpc_synthetic.pcap", 46},
                      PublicCapture{"ndpi__dcerpc_cl_udp.pcap", 16},
                      PublicCapture{"ndpi__profinet-io-le.pcap", 2},
                      PublicCapture{"scapy__dcerpc_privacy_ntlm.pcapng", 20},
                      PublicCapture{"suricata-verify__dce-gap-handling.pcap", 6},
                      PublicCapture{"suricata-verify__dcerpc-bind-no-frag-flag.pcap", 8},
                      PublicCapture{"suricata-verify__dcerpc-is-fragmented-udp.pcap", 2},
                      PublicCapture{"suricata-verify__dcerpc-udp-ptype.pcap", 10},
                      PublicCapture{"suricata-verify__truncate-applayer-test-01.pcap",
                                    50,
                                    false,
                                    {69},
                                    "the last fragment of call 5361 starts 4 bytes before the "
                                    "end of frame 67; tshark 4.0 does not resume DCE/RPC from a "
                                    "header split across segments, rpcfit does"},
                      PublicCapture{"zeek__mapi.pcap", 300},
                      PublicCapture{"zeek__20-fids.pcap", 0}),
    [](const auto& case_info) {
      std::string name = case_info.param.file;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace rpcfit::captures
