// The reader against the project's own writer: what the writer writes, the reader reads back
// identically; tshark agrees with both; damaged files give a clear error with the frame.
#include "captures/capture_reader.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "captures/frame_builder.h"
#include "captures/packet.h"
#include "captures/pcap_source.h"
#include "captures/pcap_writer.h"
#include "captures/tshark_reference.h"
#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"
#include "harness/wire/test_pdus.h"

namespace rpcfit::captures {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::path(::testing::TempDir()) / "rpcfit-reader-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A conversation over IPv4 and IPv6, with PDUs larger than a segment and datagrams.
std::vector<CapturedPdu> conversation() {
  std::vector<CapturedPdu> out;
  const Timestamp t0 = std::chrono::seconds(1767225600);
  const Endpoint c4{IpAddress::loopback_v4(), 50000};
  const Endpoint s4{IpAddress::loopback_v4(), 9999};
  const Endpoint c6{*IpAddress::parse("::1"), 50001};
  const Endpoint s6{*IpAddress::parse("::1"), 135};
  Timestamp t = t0;
  for (const auto order : {ByteOrder::little, ByteOrder::big}) {
    for (const wire::CoPdu& p : wire::testing::sample_co_pdus(order)) {
      t += 1ms;
      const bool from_client = p.type == wire::PType::bind || p.type == wire::PType::request ||
                               p.type == wire::PType::alter_context ||
                               p.type == wire::PType::auth3 || p.type == wire::PType::co_cancel ||
                               p.type == wire::PType::orphaned;
      const Endpoint& c = order == ByteOrder::little ? c4 : c6;
      const Endpoint& s = order == ByteOrder::little ? s4 : s6;
      out.push_back(
          {t, TransportKind::tcp, from_client ? c : s, from_client ? s : c, wire::encode(p)});
    }
  }
  // A 20000-byte request in 5 fragments, each fragment over several TCP segments.
  wire::CoPdu big;
  big.type = wire::PType::request;
  big.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  big.call_id = 77;
  big.body = wire::CoRequest{20000, 0, 4, std::nullopt, Bytes(20000, 0x42)};
  const auto fragments = wire::fragment_co(big, 4280);
  for (const wire::CoPdu& f : fragments.value()) {
    t += 1ms;
    out.push_back({t, TransportKind::tcp, c4, s4, wire::encode(f)});
  }
  const Endpoint uc{IpAddress::loopback_v4(), 40000};
  const Endpoint us{IpAddress::loopback_v4(), 40001};
  for (const wire::ClPdu& p : wire::testing::sample_cl_pdus(ByteOrder::little)) {
    t += 1ms;
    const bool from_client = p.type == wire::PType::request || p.type == wire::PType::ping ||
                             p.type == wire::PType::cl_cancel || p.type == wire::PType::ack;
    out.push_back(
        {t, TransportKind::udp, from_client ? uc : us, from_client ? us : uc, wire::encode(p)});
  }
  return out;
}

fs::path write_conversation(const TempDir& dir, const std::vector<CapturedPdu>& pdus) {
  const fs::path file = dir / "conversation.pcap";
  auto writer = PcapWriter::open(file.string());
  EXPECT_TRUE(writer.ok());
  for (const CapturedPdu& p : pdus)
    (*writer)->pdu(p);
  EXPECT_TRUE((*writer)->close().ok());
  return file;
}

TEST(CaptureReader, ReadsBackExactlyWhatTheWriterWrote) {
  TempDir dir;
  const auto written = conversation();
  const fs::path file = write_conversation(dir, written);
  const CaptureContents read = read_capture_file(file.string());
  ASSERT_FALSE(read.error) << read.error->to_string();
  EXPECT_TRUE(read.notes.empty()) << read.notes.front().text;
  ASSERT_EQ(read.pdus.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    SCOPED_TRACE(i);
    const ReadPdu& r = read.pdus[i];
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.bytes, written[i].bytes);
    EXPECT_EQ(r.src, written[i].src);
    EXPECT_EQ(r.dst, written[i].dst);
    EXPECT_EQ(r.transport, written[i].transport);
    EXPECT_EQ(r.time, written[i].time);  // the frame holding the last byte has the PDU's time
    if (i > 0) {
      EXPECT_GT(r.frame, read.pdus[i - 1].frame);
    }
    EXPECT_NE(r.direction, Direction::unknown);
  }
  // The client sent the bind: to_server. The server sent the bind_ack: to_client.
  EXPECT_EQ(read.pdus[0].direction, Direction::to_server);
  EXPECT_EQ(read.pdus[1].direction, Direction::to_client);
}

TEST(CaptureReader, TsharkDecodesTheWritersFileAsTheReaderDoes) {
  TempDir dir;
  const fs::path file = write_conversation(dir, conversation());
  std::string why;
  auto tshark = testing::tshark_summary(file.string(), why);
  if (!tshark && testing::tshark_path().empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(tshark) << why;
  const auto ours = testing::reader_summary(read_capture_file(file.string()));
  EXPECT_EQ(testing::diff(*tshark, ours), "");
  EXPECT_GT(ours.size(), 40u);
}

TEST(CaptureReader, TruncatedFileKeepsWhatWasReadAndNamesTheFrame) {
  TempDir dir;
  const fs::path file = write_conversation(dir, conversation());
  const Bytes whole = read_file(file);
  const CaptureContents full = read_capture_memory(whole);
  ASSERT_FALSE(full.error);
  // Cut in the middle of the last record.
  const Bytes cut(whole.begin(), whole.end() - 30);
  const CaptureContents part = read_capture_memory(cut, "cut.pcap");
  ASSERT_TRUE(part.error);
  EXPECT_EQ(part.error->file, "cut.pcap");
  EXPECT_EQ(part.error->frame, full.frames);
  EXPECT_NE(part.error->to_string().find("frame " + std::to_string(full.frames)),
            std::string::npos);
  EXPECT_EQ(part.frames, full.frames - 1);
  EXPECT_GT(part.pdus.size(), 0u);
}

TEST(CaptureReader, CorruptHeaderIsAnErrorAtTheFileHeader) {
  const CaptureContents c = read_capture_memory(wire::testing::hex("de ad be ef 00 01"), "junk");
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->frame, 0u);
  EXPECT_TRUE(c.pdus.empty());
  EXPECT_NE(c.error->to_string().find("junk: file header"), std::string::npos);
}

TEST(CaptureReader, MissingFileIsAnError) {
  const CaptureContents c = read_capture_file("/nonexistent/rpcfit/none.pcap");
  ASSERT_TRUE(c.error);
  EXPECT_NE(c.error->to_string().find("/nonexistent/rpcfit/none.pcap"), std::string::npos);
}

TEST(CaptureReader, MalformedPduIsReportedAndTheStreamGoesOn) {
  TempDir dir;
  const Endpoint c{IpAddress::loopback_v4(), 50000};
  const Endpoint s{IpAddress::loopback_v4(), 9999};
  const Timestamp t = std::chrono::seconds(1767225600);
  // A request whose frag_length frames 20 bytes: too short for the request body.
  const Bytes bad =
      wire::testing::hex("05 00 00 03 10 00 00 00 14 00 00 00 01 00 00 00 00 00 00 00");
  const Bytes good = wire::testing::hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00");
  const fs::path file = dir / "bad.pcap";
  {
    auto w = PcapWriter::open(file.string());
    ASSERT_TRUE(w.ok());
    (*w)->pdu({t, TransportKind::tcp, c, s, bad});
    (*w)->pdu({t + 1ms, TransportKind::tcp, c, s, good});
  }
  const CaptureContents read = read_capture_file(file.string());
  ASSERT_EQ(read.pdus.size(), 2u);
  ASSERT_FALSE(read.pdus[0].ok());
  EXPECT_EQ(std::get<wire::Error>(read.pdus[0].decoded).code, wire::ErrorCode::body_truncated);
  EXPECT_TRUE(read.pdus[1].ok());
}

// A connection closed and opened again on the same ports is a new stream: its PDUs are all read.
TEST(CaptureReader, PortReuseAfterCloseStartsANewStream) {
  TempDir dir;
  const Endpoint c{IpAddress::loopback_v4(), 50000};
  const Endpoint s{IpAddress::loopback_v4(), 9999};
  const Timestamp t = std::chrono::seconds(1767225600);
  const fs::path file = dir / "reuse.pcap";
  std::vector<std::uint32_t> written_ids;
  {
    auto w = PcapWriter::open(file.string());
    ASSERT_TRUE(w.ok());
    for (std::uint32_t round = 0; round < 3; ++round) {
      const Timestamp at = t + std::chrono::seconds(round);
      (*w)->connection_opened(at, c, s);
      for (std::uint32_t call = 1; call <= 2; ++call) {
        wire::CoPdu cancel;
        cancel.type = wire::PType::co_cancel;
        cancel.flags = wire::pfc::kLastFrag | wire::pfc::kPendingCancel;
        cancel.call_id = round * 10 + call;
        written_ids.push_back(cancel.call_id);
        (*w)->pdu({at + 1ms * call, TransportKind::tcp, c, s, wire::encode(cancel)});
      }
      (*w)->connection_closed(at + 5ms, c, s);
      (*w)->connection_closed(at + 6ms, s, c);
    }
  }
  const CaptureContents read = read_capture_file(file.string());
  std::vector<std::uint32_t> read_ids;
  for (const ReadPdu& p : read.pdus) {
    ASSERT_TRUE(p.ok());
    read_ids.push_back(std::get<wire::CoPdu>(std::get<wire::Pdu>(p.decoded)).call_id);
    EXPECT_EQ(p.direction, Direction::to_server);
  }
  EXPECT_EQ(read_ids, written_ids);
  EXPECT_TRUE(read.notes.empty()) << read.notes.front().text;
}

// Frames written one by one, for TCP sequences the writer would never produce.
class RawCapture {
 public:
  explicit RawCapture(const fs::path& file)
      : pcap_(pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO)),
        dumper_(pcap_dump_open(pcap_, file.string().c_str())) {}
  ~RawCapture() {
    pcap_dump_close(dumper_);
    pcap_close(pcap_);
  }
  void tcp(const Endpoint& src, const Endpoint& dst, std::uint32_t seq, std::uint32_t ack,
           std::uint8_t flags, const Bytes& payload = {}) {
    TcpSegmentSpec spec;
    spec.src = src;
    spec.dst = dst;
    spec.seq = seq;
    spec.ack = ack;
    spec.flags = flags;
    spec.payload = payload;
    const Bytes frame = build_tcp_frame(spec).value();
    pcap_pkthdr h{};
    h.ts.tv_sec = 1767225600;
    h.ts.tv_usec = ++n_;
    h.caplen = h.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
  }

 private:
  pcap_t* pcap_;
  pcap_dumper_t* dumper_;
  long n_ = 0;
};

// Connections on the same ports one after the other, the later ones with lower initial sequence
// numbers, each ending with a FIN exchange and a last ACK.
TEST(CaptureReader, PortReuseWithALowerIsnIsANewStream) {
  TempDir dir;
  const fs::path file = dir / "reuse-raw.pcap";
  const Endpoint c{IpAddress::loopback_v4(), 50000};
  const Endpoint s{IpAddress::loopback_v4(), 9999};
  std::uint32_t id = 0;
  {
    RawCapture cap(file);
    for (std::uint32_t isn : {3'000'000'000u, 2'000'000'000u, 1'000u}) {
      const std::uint32_t sisn = isn + 7;
      cap.tcp(c, s, isn, 0, kTcpSyn);
      cap.tcp(s, c, sisn, isn + 1, kTcpSyn | kTcpAck);
      cap.tcp(c, s, isn + 1, sisn + 1, kTcpAck);
      Bytes pdu = wire::testing::hex("05 00 12 06 10 00 00 00 10 00 00 00 00 00 00 00");
      pdu[12] = static_cast<std::uint8_t>(++id);
      cap.tcp(c, s, isn + 1, sisn + 1, kTcpPsh | kTcpAck, pdu);
      cap.tcp(c, s, isn + 17, sisn + 1, kTcpFin | kTcpAck);
      cap.tcp(s, c, sisn + 1, isn + 18, kTcpFin | kTcpAck);
      cap.tcp(c, s, isn + 18, sisn + 2, kTcpAck);
    }
  }
  const CaptureContents read = read_capture_file(file.string());
  ASSERT_FALSE(read.error);
  ASSERT_EQ(read.pdus.size(), 3u);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(std::get<wire::CoPdu>(std::get<wire::Pdu>(read.pdus[i].decoded)).call_id, i + 1);
    EXPECT_EQ(read.pdus[i].frame, 4 + 7 * i);
  }
  EXPECT_TRUE(read.notes.empty()) << read.notes.front().text;
}

// A PDU reported after its sender closed its end travels on a new connection, not after the FIN.
TEST(CaptureReader, PduAfterItsSenderClosedOpensANewConnection) {
  TempDir dir;
  const Endpoint c{IpAddress::loopback_v4(), 50000};
  const Endpoint s{IpAddress::loopback_v4(), 9999};
  const Timestamp t = std::chrono::seconds(1767225600);
  const fs::path file = dir / "after-fin.pcap";
  const Bytes first = wire::testing::hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00");
  const Bytes second = wire::testing::hex("05 00 13 03 10 00 00 00 10 00 00 00 02 00 00 00");
  {
    auto w = PcapWriter::open(file.string());
    ASSERT_TRUE(w.ok());
    (*w)->connection_opened(t, c, s);
    (*w)->pdu({t + 1ms, TransportKind::tcp, c, s, first});
    (*w)->connection_closed(t + 2ms, c, s);
    (*w)->pdu({t + 3ms, TransportKind::tcp, c, s, second});
  }
  const CaptureContents read = read_capture_file(file.string());
  ASSERT_EQ(read.pdus.size(), 2u);
  EXPECT_EQ(read.pdus[0].bytes, first);
  EXPECT_EQ(read.pdus[1].bytes, second);
  EXPECT_EQ(read.pdus[1].time, t + 3ms);
  EXPECT_TRUE(read.notes.empty()) << read.notes.front().text;
  // On the wire: a second handshake (a second SYN) between the FIN and the second PDU.
  auto source = PcapSource::open_file(file.string());
  ASSERT_TRUE(source.ok());
  std::vector<std::uint64_t> syns;
  while (auto f = (*source)->next()) {
    if (!f->has_value()) break;
    auto parsed = parse_packet((**f).linktype, (**f).data);
    ASSERT_TRUE(parsed.ok());
    const auto& pkt = std::get<PacketInfo>(*parsed);
    if ((pkt.tcp.flags & (kTcpSyn | kTcpAck)) == kTcpSyn) syns.push_back((**f).number);
  }
  ASSERT_EQ(syns.size(), 2u);
  EXPECT_GT(syns[1], read.pdus[0].frame);
  EXPECT_LT(syns[1], read.pdus[1].frame);
}

}  // namespace
}  // namespace rpcfit::captures
