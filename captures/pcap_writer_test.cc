#include "captures/pcap_writer.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include "captures/frame_builder.h"

namespace rpcfit {
// Readable failure messages; found by argument-dependent lookup.
void PrintTo(const Endpoint& e, std::ostream* os) {
  *os << e.to_string();
}
}  // namespace rpcfit

namespace rpcfit::captures {
namespace {

using std::chrono::nanoseconds;

struct Frame {
  Timestamp time{};
  Bytes data;
};

// The transport view of one synthesized frame, read back independently of the writer.
struct Segment {
  bool tcp = false;
  Endpoint src;
  Endpoint dst;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  Bytes payload;
};

std::vector<Frame> read_frames(const std::string& path) {
  std::vector<Frame> frames;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (p == nullptr) {
    ADD_FAILURE() << path << ": " << errbuf;
    return frames;
  }
  EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &header, &data) == 1) {
    EXPECT_EQ(header->caplen, header->len);
    Frame f;
    f.time = Timestamp{static_cast<std::int64_t>(header->ts.tv_sec) * 1000000000 +
                       static_cast<std::int64_t>(header->ts.tv_usec)};
    f.data.assign(data, data + header->caplen);
    frames.push_back(std::move(f));
  }
  pcap_close(p);
  return frames;
}

Segment parse(const Frame& frame) {
  Segment s;
  const Bytes& d = frame.data;
  const bool v6 = d.size() > 13 && load_be16(&d[12]) == 0x86dd;
  const std::size_t addr = v6 ? 22 : 26;
  const std::size_t addr_size = v6 ? 16 : 4;
  const std::size_t l4 = v6 ? 54 : 34;
  if (d.size() < l4 + kTcpHeaderSize) {
    ADD_FAILURE() << "short frame: " << to_hex(d);
    return s;
  }
  s.src.address.v6 = v6;
  s.dst.address.v6 = v6;
  std::memcpy(s.src.address.bytes.data(), &d[addr], addr_size);
  std::memcpy(s.dst.address.bytes.data(), &d[addr + addr_size], addr_size);
  s.src.port = load_be16(&d[l4]);
  s.dst.port = load_be16(&d[l4 + 2]);
  s.tcp = (v6 ? d[20] : d[23]) == 6;
  std::size_t payload_at = l4 + kUdpHeaderSize;
  if (s.tcp) {
    s.seq = load_be32(&d[l4 + 4]);
    s.ack = load_be32(&d[l4 + 8]);
    s.flags = d[l4 + 13];
    payload_at = l4 + std::size_t{4} * (d[l4 + 12] >> 4);
  }
  s.payload.assign(d.begin() + static_cast<std::ptrdiff_t>(payload_at), d.end());
  return s;
}

std::vector<Segment> read_segments(const std::string& path) {
  std::vector<Segment> out;
  for (const Frame& f : read_frames(path))
    out.push_back(parse(f));
  return out;
}

CapturedPdu make_pdu(Timestamp time, TransportKind kind, const Endpoint& src, const Endpoint& dst,
                     Bytes bytes) {
  CapturedPdu pdu;
  pdu.time = time;
  pdu.transport = kind;
  pdu.src = src;
  pdu.dst = dst;
  pdu.bytes = std::move(bytes);
  return pdu;
}

Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return b;
}

const Endpoint kClient{IpAddress::loopback_v4(), 49152};
const Endpoint kServer{IpAddress::loopback_v4(), 9999};
const Timestamp kT0{1700000000123456789};

class PcapWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::path(::testing::TempDir()) / "pcap_writer_XXXXXX").string();
    const char* made = mkdtemp(tmpl.data());
    ASSERT_NE(made, nullptr) << tmpl << ": " << std::strerror(errno);
    dir_ = made;
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::string file(const char* name) const { return (std::filesystem::path(dir_) / name).string(); }

  static std::unique_ptr<PcapWriter> open_writer(const std::string& path,
                                                 PcapWriterOptions options = {}) {
    auto opened = PcapWriter::open(path, options);
    if (!opened) {
      ADD_FAILURE() << opened.error().to_string();
      return nullptr;
    }
    return std::move(opened).value();
  }

  std::string dir_;
};

TEST_F(PcapWriterTest, HandshakeDataAndFinExchangeHaveConsistentSequenceNumbers) {
  const std::string path = file("conn.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const Bytes request = pattern(100);
  const Bytes response = pattern(50);
  w->connection_opened(kT0, kClient, kServer);
  w->pdu(make_pdu(kT0 + nanoseconds(1000), TransportKind::tcp, kClient, kServer, request));
  w->pdu(make_pdu(kT0 + nanoseconds(2001), TransportKind::tcp, kServer, kClient, response));
  w->connection_closed(kT0 + nanoseconds(3000), kClient, kServer);
  w->connection_closed(kT0 + nanoseconds(4003), kServer, kClient);
  EXPECT_EQ(w->frames_written(), 9u);
  auto closed = w->close();
  ASSERT_TRUE(closed) << closed.error().to_string();
  EXPECT_TRUE(*closed);

  const auto frames = read_frames(path);
  ASSERT_EQ(frames.size(), 9u);
  std::vector<Segment> s;
  for (const Frame& f : frames)
    s.push_back(parse(f));
  const std::uint32_t c = s[0].seq;
  const std::uint32_t v = s[1].seq;
  struct Expected {
    const Endpoint& src;
    std::uint8_t flags;
    std::uint32_t seq;
    std::uint32_t ack;
    std::size_t len;
    Timestamp time;
  };
  const Expected expected[] = {
      {kClient, kTcpSyn, c, 0, 0, kT0},
      {kServer, kTcpSyn | kTcpAck, v, c + 1, 0, kT0},
      {kClient, kTcpAck, c + 1, v + 1, 0, kT0},
      {kClient, kTcpPsh | kTcpAck, c + 1, v + 1, 100, kT0 + nanoseconds(1000)},
      {kServer, kTcpPsh | kTcpAck, v + 1, c + 101, 50, kT0 + nanoseconds(2001)},
      {kClient, kTcpFin | kTcpAck, c + 101, v + 51, 0, kT0 + nanoseconds(3000)},
      {kServer, kTcpAck, v + 51, c + 102, 0, kT0 + nanoseconds(3000)},
      {kServer, kTcpFin | kTcpAck, v + 51, c + 102, 0, kT0 + nanoseconds(4003)},
      {kClient, kTcpAck, c + 102, v + 52, 0, kT0 + nanoseconds(4003)},
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    EXPECT_TRUE(s[i].tcp);
    EXPECT_EQ(s[i].src, expected[i].src);
    EXPECT_EQ(s[i].dst, expected[i].src == kClient ? kServer : kClient);
    EXPECT_EQ(s[i].flags, expected[i].flags);
    EXPECT_EQ(s[i].seq, expected[i].seq);
    EXPECT_EQ(s[i].ack, expected[i].ack);
    EXPECT_EQ(s[i].payload.size(), expected[i].len);
    EXPECT_EQ(frames[i].time.count(), expected[i].time.count());
  }
  EXPECT_EQ(s[3].payload, request);
  EXPECT_EQ(s[4].payload, response);
}

TEST_F(PcapWriterTest, SplitsPduLargerThanMaxSegment) {
  const std::string path = file("split.pcap");
  auto w = open_writer(path, PcapWriterOptions{100});
  ASSERT_TRUE(w);
  const Bytes pdu = pattern(250);
  w->connection_opened(kT0, kClient, kServer);
  w->pdu(make_pdu(kT0 + nanoseconds(5), TransportKind::tcp, kClient, kServer, pdu));
  ASSERT_TRUE(w->close());

  const auto s = read_segments(path);
  ASSERT_EQ(s.size(), 10u);  // handshake, three data segments, FIN exchange from close()
  const std::size_t sizes[] = {100, 100, 50};
  const std::uint8_t flags[] = {kTcpAck, kTcpAck, kTcpPsh | kTcpAck};
  Bytes joined;
  std::uint32_t next = s[2].seq;
  for (std::size_t i = 0; i < 3; ++i) {
    const Segment& seg = s[3 + i];
    EXPECT_EQ(seg.src, kClient);
    EXPECT_EQ(seg.payload.size(), sizes[i]);
    EXPECT_EQ(seg.flags, flags[i]);
    EXPECT_EQ(seg.seq, next);
    EXPECT_EQ(seg.ack, s[1].seq + 1);
    next += static_cast<std::uint32_t>(seg.payload.size());
    joined.insert(joined.end(), seg.payload.begin(), seg.payload.end());
  }
  EXPECT_EQ(joined, pdu);
}

TEST_F(PcapWriterTest, ReceiverAcknowledgesBeforeTheWindowFills) {
  const std::string path = file("window.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const Bytes big = pattern(65535);
  w->connection_opened(kT0, kClient, kServer);
  w->pdu(make_pdu(kT0 + nanoseconds(1), TransportKind::tcp, kClient, kServer, big));
  w->pdu(make_pdu(kT0 + nanoseconds(2), TransportKind::tcp, kClient, kServer, big));
  ASSERT_TRUE(w->close());

  std::uint32_t server_ack = 0;
  std::size_t pure_acks = 0;
  Bytes received;
  for (const Segment& seg : read_segments(path)) {
    if (seg.src == kServer) {
      if (seg.flags == kTcpAck && seg.payload.empty()) {
        EXPECT_NE(seg.ack, server_ack) << "duplicate ACK";
        ++pure_acks;
      }
      server_ack = seg.ack;
      continue;
    }
    if (seg.payload.empty()) continue;
    const std::uint32_t in_flight =
        seg.seq + static_cast<std::uint32_t>(seg.payload.size()) - server_ack;
    EXPECT_LT(in_flight, 65535u) << "segment at seq " << seg.seq;
    received.insert(received.end(), seg.payload.begin(), seg.payload.end());
  }
  // Handshake SYN-ACK is not a pure ACK; window ACKs plus the ACK of the client's FIN are.
  EXPECT_GE(pure_acks, 3u);
  Bytes sent = big;
  sent.insert(sent.end(), big.begin(), big.end());
  EXPECT_EQ(received, sent);
}

TEST_F(PcapWriterTest, PduWithoutConnectionOpenedStartsWithHandshakeFromItsSender) {
  const std::string path = file("implicit.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const Timestamp t = kT0 + nanoseconds(42);
  w->pdu(make_pdu(t, TransportKind::tcp, kServer, kClient, pattern(8)));
  EXPECT_EQ(w->frames_written(), 4u);
  ASSERT_TRUE(w->close());

  const auto frames = read_frames(path);
  ASSERT_EQ(frames.size(), 8u);
  const Segment syn = parse(frames[0]);
  EXPECT_EQ(syn.flags, kTcpSyn);
  EXPECT_EQ(syn.src, kServer);
  EXPECT_EQ(frames[0].time.count(), t.count());
  EXPECT_EQ(parse(frames[3]).payload, pattern(8));
  // close() finishes it at the last frame's time, the synthesized client closing first.
  EXPECT_EQ(parse(frames[4]).flags, kTcpFin | kTcpAck);
  EXPECT_EQ(parse(frames[4]).src, kServer);
  EXPECT_EQ(frames[7].time.count(), t.count());
}

TEST_F(PcapWriterTest, UdpPduIsOneDatagram) {
  const std::string path = file("udp.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const Endpoint a{IpAddress::loopback_v4(), 40000};
  const Endpoint b{IpAddress::loopback_v4(), 40001};
  w->pdu(make_pdu(kT0, TransportKind::udp, a, b, pattern(88)));
  ASSERT_TRUE(w->close());

  const auto frames = read_frames(path);
  ASSERT_EQ(frames.size(), 1u);
  const Segment s = parse(frames[0]);
  EXPECT_FALSE(s.tcp);
  EXPECT_EQ(s.src, a);
  EXPECT_EQ(s.dst, b);
  EXPECT_EQ(s.payload, pattern(88));
  EXPECT_EQ(frames[0].time.count(), kT0.count());
}

TEST_F(PcapWriterTest, CloseFinishesOpenConnectionsAtTheLastFrameTime) {
  const std::string path = file("finish.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const Timestamp last = kT0 + std::chrono::seconds(5);
  w->connection_opened(kT0, kClient, kServer);
  w->pdu(make_pdu(last, TransportKind::tcp, kClient, kServer, pattern(10)));
  ASSERT_TRUE(w->close());

  const auto frames = read_frames(path);
  ASSERT_EQ(frames.size(), 8u);
  const std::uint8_t flags[] = {kTcpFin | kTcpAck, kTcpAck, kTcpFin | kTcpAck, kTcpAck};
  const Endpoint* from[] = {&kClient, &kServer, &kServer, &kClient};
  for (std::size_t i = 0; i < 4; ++i) {
    const Segment s = parse(frames[4 + i]);
    EXPECT_EQ(s.flags, flags[i]) << i;
    EXPECT_EQ(s.src, *from[i]) << i;
    EXPECT_EQ(frames[4 + i].time.count(), last.count()) << i;
  }
}

TEST_F(PcapWriterTest, CloseIsIdempotentAndLaterEventsAreIgnored) {
  const std::string path = file("idempotent.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->pdu(make_pdu(kT0, TransportKind::udp, kClient, kServer, pattern(4)));
  auto first = w->close();
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto second = w->close();
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
  w->pdu(make_pdu(kT0, TransportKind::udp, kClient, kServer, pattern(4)));
  w->connection_opened(kT0, kClient, kServer);
  EXPECT_EQ(w->frames_written(), 1u);
  w.reset();
  EXPECT_EQ(read_frames(path).size(), 1u);
}

TEST_F(PcapWriterTest, DestructorClosesTheFile) {
  const std::string path = file("dtor.pcap");
  {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    w->connection_opened(kT0, kClient, kServer);
  }
  EXPECT_EQ(read_frames(path).size(), 7u);  // handshake plus the FIN exchange close() adds
}

TEST_F(PcapWriterTest, DuplicateReportsFromBothEndsAreWrittenOnce) {
  const std::string path = file("dup.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->connection_opened(kT0, kClient, kServer);
  w->connection_opened(kT0, kServer, kClient);
  w->connection_closed(kT0, kClient, kServer);
  w->connection_closed(kT0, kClient, kServer);
  EXPECT_EQ(w->frames_written(), 5u);
  w->connection_closed(kT0, kServer, kClient);
  EXPECT_EQ(w->frames_written(), 7u);
  // Both sides closed: the pair is free again, and a new PDU starts a new connection.
  w->pdu(make_pdu(kT0, TransportKind::tcp, kClient, kServer, pattern(3)));
  EXPECT_EQ(w->frames_written(), 11u);
  ASSERT_TRUE(w->close());
  const auto s = read_segments(path);
  ASSERT_EQ(s.size(), 15u);
  EXPECT_EQ(s[7].flags, kTcpSyn);
  EXPECT_NE(s[7].seq, s[0].seq);
}

TEST_F(PcapWriterTest, TwoRunsWriteIdenticalFiles) {
  const auto run = [](const std::string& path) {
    auto w = open_writer(path);
    ASSERT_TRUE(w);
    const Endpoint other{IpAddress::loopback_v4(), 49153};
    w->connection_opened(kT0, kClient, kServer);
    w->connection_opened(kT0, other, kServer);
    w->pdu(make_pdu(kT0 + nanoseconds(9), TransportKind::tcp, other, kServer, pattern(3000)));
    w->pdu(make_pdu(kT0 + nanoseconds(10), TransportKind::udp, kClient, kServer, pattern(5)));
    ASSERT_TRUE(w->close());
  };
  run(file("a.pcap"));
  run(file("b.pcap"));
  const auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string a = slurp(file("a.pcap"));
  EXPECT_GT(a.size(), 3000u);
  EXPECT_EQ(a, slurp(file("b.pcap")));
}

TEST_F(PcapWriterTest, WriteFailureIsReportedByClose) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "/dev/full not available";
  auto w = open_writer("/dev/full");
  ASSERT_TRUE(w);
  w->pdu(make_pdu(kT0, TransportKind::udp, kClient, kServer, pattern(100)));
  auto closed = w->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().file, "/dev/full");
  EXPECT_NE(closed.error().reason.find(std::strerror(ENOSPC)), std::string::npos)
      << closed.error().to_string();
  EXPECT_FALSE(w->close()) << "the error is reported again";
}

TEST_F(PcapWriterTest, OpenRejectsBadOptionsAndUncreatableFiles) {
  auto zero = PcapWriter::open(file("x.pcap"), PcapWriterOptions{0});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().reason.find("max_segment"), std::string::npos);
  EXPECT_FALSE(PcapWriter::open(file("x.pcap"), PcapWriterOptions{15}));
  EXPECT_TRUE(PcapWriter::open(file("z.pcap"), PcapWriterOptions{16}));
  EXPECT_FALSE(PcapWriter::open(file("x.pcap"), PcapWriterOptions{65496}));
  EXPECT_TRUE(PcapWriter::open(file("y.pcap"), PcapWriterOptions{65495}));
  auto missing = PcapWriter::open(file("no/such/dir.pcap"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().frame, 0u);
  EXPECT_NE(missing.error().to_string().find("no/such/dir.pcap"), std::string::npos);
}

TEST_F(PcapWriterTest, OversizedDatagramIsLeftOutAndReported) {
  const std::string path = file("oversized.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  w->pdu(make_pdu(kT0, TransportKind::udp, kClient, kServer, pattern(70000)));
  w->pdu(make_pdu(kT0, TransportKind::udp, kClient, kServer, pattern(16)));
  auto closed = w->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().frame, 1u);
  EXPECT_NE(closed.error().reason.find("does not fit"), std::string::npos)
      << closed.error().to_string();
  const auto s = read_segments(path);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].payload.size(), 16u);
}

TEST_F(PcapWriterTest, ConcurrentConnectionsKeepTheirOwnSequenceSpace) {
  const std::string path = file("threads.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  static constexpr int kThreads = 4;
  static constexpr int kPdus = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&w, t] {
      const Endpoint client{IpAddress::loopback_v4(), static_cast<std::uint16_t>(50000 + t)};
      w->connection_opened(kT0, client, kServer);
      for (int i = 0; i < kPdus; ++i) {
        w->pdu(make_pdu(kT0 + nanoseconds(i), TransportKind::tcp, client, kServer, pattern(10)));
      }
      w->connection_closed(kT0 + nanoseconds(kPdus), client, kServer);
    });
  }
  for (auto& t : threads)
    t.join();
  ASSERT_TRUE(w->close());

  const auto segments = read_segments(path);
  ASSERT_EQ(segments.size(), static_cast<std::size_t>(kThreads * (3 + kPdus + 4)));
  for (int t = 0; t < kThreads; ++t) {
    const auto port = static_cast<std::uint16_t>(50000 + t);
    std::uint32_t next = 0;
    int data = 0;
    for (const Segment& s : segments) {
      if (s.src.port != port) continue;
      if (s.flags == kTcpSyn) next = s.seq + 1;
      if (s.payload.empty()) continue;
      EXPECT_EQ(s.seq, next) << "client port " << port;
      next += static_cast<std::uint32_t>(s.payload.size());
      ++data;
    }
    EXPECT_EQ(data, kPdus) << "client port " << port;
  }
}

// tshark is the independent check that the synthesized framing is what Wireshark expects: valid
// checksums, a TCP conversation its analysis finds nothing wrong with, and DCE/RPC found by the
// heuristic dissector on ports that are not registered for it.
constexpr const char* kTshark = "/usr/bin/tshark";

Bytes hex(const std::string& text) {
  Bytes out;
  EXPECT_TRUE(from_hex(text, out)) << text;
  return out;
}

// Runs a command and returns its standard output; tshark's warnings on stderr (e.g. about running
// as root) are not part of what the tests check.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return out;
  }
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    out.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return out;
}

std::vector<std::vector<std::string>> rows(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');)
      fields.push_back(cell);
    out.push_back(std::move(fields));
  }
  return out;
}

std::string tshark(const std::string& path, const std::string& args) {
  return run(std::string(kTshark) + " -r '" + path +
             "' -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE " +
             args);
}

// Every frame's IP header and TCP or UDP checksum verified and found good.
void expect_all_checksums_good(const std::string& path, std::uint64_t frames) {
  const std::string good =
      tshark(path,
             "-Y '(ip.checksum.status == 1 || ipv6) && (tcp.checksum.status == 1 || "
             "udp.checksum.status == 1)' -T fields -e frame.number");
  EXPECT_EQ(rows(good).size(), frames) << good;
  EXPECT_EQ(tshark(path, "-Y 'tcp.analysis.flags'"), "");
}

TEST_F(PcapWriterTest, TsharkDecodesDceRpcOnNonStandardPorts) {
  if (!std::filesystem::exists(kTshark)) GTEST_SKIP() << "tshark not installed";
  const std::string path = file("dcerpc.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const auto ms = [](int n) { return kT0 + std::chrono::milliseconds(n); };
  const Bytes bind = hex(
      "05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00 01 00 00 00 00 00 "
      "01 00 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac 01 00 00 00 04 5d 88 8a eb 1c c9 11 "
      "9f e8 08 00 2b 10 48 60 02 00 00 00");
  const Bytes request =
      hex("05 00 00 03 10 00 00 00 1c 00 00 00 01 00 00 00 04 00 00 00 00 00 02 00 de ad be ef");
  const Bytes co_cancel = hex("05 00 12 06 10 00 00 00 10 00 00 00 01 00 00 00");
  const Bytes orphaned = hex("05 00 13 03 10 00 00 00 10 00 00 00 08 00 00 00");
  const Bytes response =
      hex("05 00 02 03 10 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 02 00");
  Bytes cl_cancel(80 + 8, 0);
  cl_cancel[0] = 4;
  cl_cancel[1] = 8;
  cl_cancel[4] = 0x10;
  cl_cancel[74] = 8;  // body length, little-endian per drep
  cl_cancel[84] = 7;  // cancel_id after vers 0
  const Endpoint udp_a{IpAddress::loopback_v4(), 40000};
  const Endpoint udp_b{IpAddress::loopback_v4(), 40001};

  w->connection_opened(ms(0), kClient, kServer);
  w->pdu(make_pdu(ms(1), TransportKind::tcp, kClient, kServer, bind));
  w->pdu(make_pdu(ms(2), TransportKind::tcp, kClient, kServer, request));
  w->pdu(make_pdu(ms(3), TransportKind::tcp, kClient, kServer, co_cancel));
  w->pdu(make_pdu(ms(4), TransportKind::tcp, kClient, kServer, orphaned));
  w->pdu(make_pdu(ms(5), TransportKind::tcp, kServer, kClient, response));
  w->pdu(make_pdu(ms(6), TransportKind::udp, udp_a, udp_b, cl_cancel));
  w->connection_closed(ms(7), kClient, kServer);
  w->connection_closed(ms(8), kServer, kClient);
  ASSERT_TRUE(w->close());
  ASSERT_EQ(w->frames_written(), 13u);

  const std::string out =
      tshark(path,
             "-T fields -E separator=/t -E occurrence=a -E aggregator=, -e frame.number "
             "-e dcerpc.pkt_type -e dcerpc.cn_call_id -e dcerpc.cn_flags -e dcerpc.cn_cancel_count "
             "-e dcerpc.dg_cancel_id -e _ws.expert.message -Y dcerpc");
  // frame, pkt_type, call_id, flags, cancel_count, cancel_id
  const std::vector<std::vector<std::string>> expected = {
      {"4", "11", "1", "0x03", "", ""}, {"5", "0", "1", "0x03", "", ""},
      {"6", "18", "1", "0x06", "", ""}, {"7", "19", "8", "0x03", "", ""},
      {"8", "2", "1", "0x03", "2", ""}, {"9", "8", "", "", "", "7"},
  };
  const auto got = rows(out);
  ASSERT_EQ(got.size(), expected.size()) << out;
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_GE(got[i].size(), expected[i].size()) << out;
    EXPECT_EQ(std::vector<std::string>(got[i].begin(), got[i].begin() + 6), expected[i]) << out;
    const std::string expert = got[i].size() > 6 ? got[i][6] : "";
    EXPECT_EQ(expert.find("hecksum"), std::string::npos) << expert;
  }
  expect_all_checksums_good(path, w->frames_written());
}

TEST_F(PcapWriterTest, TsharkReassemblesLargePduOverIpv6WithoutTcpAnalysisFlags) {
  if (!std::filesystem::exists(kTshark)) GTEST_SKIP() << "tshark not installed";
  const std::string path = file("large.pcap");
  auto w = open_writer(path);
  ASSERT_TRUE(w);
  const Endpoint client{*IpAddress::parse("::1"), 49153};
  const Endpoint server{*IpAddress::parse("::1"), 9998};
  // 42 segments each; the two requests together exceed one receive window.
  constexpr std::size_t kLength = 60000;
  Bytes request = hex("05 00 00 03 10 00 00 00 60 ea 00 00 02 00 00 00 48 ea 00 00 00 00 01 00");
  request.resize(kLength, 0x33);
  const Bytes bind = hex(
      "05 00 0b 03 10 00 00 00 48 00 00 00 01 00 00 00 b8 10 b8 10 00 00 00 00 01 00 00 00 00 00 "
      "01 00 78 57 34 12 34 12 cd ab ef 00 01 23 45 67 89 ac 01 00 00 00 04 5d 88 8a eb 1c c9 11 "
      "9f e8 08 00 2b 10 48 60 02 00 00 00");
  const Bytes response =
      hex("05 00 02 03 10 00 00 00 18 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00");
  w->connection_opened(kT0, client, server);
  w->pdu(make_pdu(kT0 + nanoseconds(10), TransportKind::tcp, client, server, bind));
  w->pdu(make_pdu(kT0 + nanoseconds(20), TransportKind::tcp, client, server, request));
  w->pdu(make_pdu(kT0 + nanoseconds(30), TransportKind::tcp, client, server, request));
  w->pdu(make_pdu(kT0 + nanoseconds(40), TransportKind::tcp, server, client, response));
  ASSERT_TRUE(w->close());

  const std::string out = tshark(path,
                                 "-T fields -E separator=/t -e dcerpc.pkt_type "
                                 "-e dcerpc.cn_call_id -e dcerpc.cn_frag_len -Y dcerpc");
  const std::vector<std::vector<std::string>> expected = {
      {"11", "1", "72"}, {"0", "2", "60000"}, {"0", "2", "60000"}, {"2", "2", "24"}};
  EXPECT_EQ(rows(out), expected) << out;
  expect_all_checksums_good(path, w->frames_written());
}

}  // namespace
}  // namespace rpcfit::captures
