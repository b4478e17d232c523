#include "captures/pcap_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "captures/packet.h"

namespace rpcfit::captures {
namespace {

namespace fs = std::filesystem;

const fs::path kPublic = RPCFIT_PUBLIC_CAPTURES;

struct Expected {
  const char* file;
  std::uint64_t frames;  // as tshark counts them
};

constexpr Expected kPublicCaptures[] = {
    {"arkime__dcerpc_synthetic.pcap", 125},
    {"ndpi__dcerpc_cl_udp.pcap", 16},
    {"ndpi__profinet-io-le.pcap", 2},
    {"scapy__dcerpc_privacy_ntlm.pcapng", 35},
    {"suricata-verify__dce-gap-handling.pcap", 15},
    {"suricata-verify__dcerpc-bind-no-frag-flag.pcap", 44},
    {"suricata-verify__dcerpc-is-fragmented-udp.pcap", 2},
    {"suricata-verify__dcerpc-udp-ptype.pcap", 10},
    {"suricata-verify__truncate-applayer-test-01.pcap", 99},
    {"zeek__20-fids.pcap", 500},
    {"zeek__mapi.pcap", 800},
};

Bytes read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes prefix(const Bytes& b, std::size_t n) {
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

#define REQUIRE_PUBLIC_CAPTURES()                                          \
  if (!fs::is_directory(kPublic)) {                                        \
    GTEST_SKIP() << "public captures folder " << kPublic << " is missing"; \
  }

// Reads every frame; the error of the first failing call, if any.
struct Drained {
  std::vector<RawFrame> frames;
  std::vector<Bytes> data;
  std::optional<CaptureError> error;
};

Drained drain(PcapSource& source) {
  Drained out;
  for (;;) {
    auto next = source.next();
    if (!next) {
      out.error = next.error();
      return out;
    }
    if (!next->has_value()) return out;
    out.frames.push_back(**next);
    out.data.emplace_back((*next)->data.begin(), (*next)->data.end());
  }
}

std::unique_ptr<PcapSource> open_bytes(const Bytes& bytes) {
  auto source = PcapSource::open_memory(bytes, "cut.pcap");
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().to_string());
  return source.ok() ? std::move(source).value() : nullptr;
}

// Start offsets of the records of a classic pcap file (little-endian, as the public ones are).
std::vector<std::size_t> pcap_record_offsets(const Bytes& file) {
  std::vector<std::size_t> offsets;
  for (std::size_t at = 24; at + 16 <= file.size();) {
    offsets.push_back(at);
    at += 16 + load_le32(file.data() + at + 8);
  }
  return offsets;
}

// Start offsets of the packet blocks (enhanced, simple, obsolete) of a little-endian pcapng file.
std::vector<std::size_t> pcapng_packet_offsets(const Bytes& file) {
  std::vector<std::size_t> offsets;
  for (std::size_t at = 0; at + 12 <= file.size();) {
    const std::uint32_t type = load_le32(file.data() + at);
    if (type == 6 || type == 3 || type == 2) offsets.push_back(at);
    const std::uint32_t length = load_le32(file.data() + at + 4);
    if (length < 12) break;
    at += length;
  }
  return offsets;
}

TEST(PcapSource, PublicCapturesHaveTsharksFrameCountsAndEveryFrameParses) {
  REQUIRE_PUBLIC_CAPTURES();
  for (const Expected& e : kPublicCaptures) {
    SCOPED_TRACE(e.file);
    auto source = PcapSource::open_file((kPublic / e.file).string());
    ASSERT_TRUE(source.ok()) << source.error().to_string();
    const Drained got = drain(**source);
    EXPECT_FALSE(got.error) << got.error->to_string();
    EXPECT_EQ(got.frames.size(), e.frames);
    std::uint64_t transport_frames = 0;
    for (std::size_t i = 0; i < got.frames.size(); ++i) {
      const RawFrame& f = got.frames[i];
      EXPECT_EQ(f.number, i + 1);
      EXPECT_EQ(f.linktype, linktype::ethernet);
      auto parsed = parse_packet(f.linktype, got.data[i]);
      EXPECT_TRUE(parsed.ok()) << "frame " << f.number << ": " << parsed.error();
      if (parsed.ok() && std::holds_alternative<PacketInfo>(*parsed)) ++transport_frames;
    }
    EXPECT_GT(transport_frames, 0u);
    // A clean end stays an end.
    auto again = (*source)->next();
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->has_value());
  }
}

TEST(PcapSource, OpenMemoryReadsWhatOpenFileReads) {
  REQUIRE_PUBLIC_CAPTURES();
  for (const char* name : {"zeek__mapi.pcap", "scapy__dcerpc_privacy_ntlm.pcapng"}) {
    SCOPED_TRACE(name);
    auto from_file = PcapSource::open_file((kPublic / name).string());
    ASSERT_TRUE(from_file.ok());
    Bytes bytes = read_all(kPublic / name);
    auto from_memory = PcapSource::open_memory(bytes, name);
    ASSERT_TRUE(from_memory.ok());
    bytes.assign(bytes.size(), 0);  // the source must hold its own copy
    const Drained a = drain(**from_file);
    const Drained b = drain(**from_memory);
    ASSERT_EQ(a.frames.size(), b.frames.size());
    EXPECT_FALSE(b.error);
    for (std::size_t i = 0; i < a.frames.size(); ++i) {
      EXPECT_EQ(a.frames[i].time, b.frames[i].time);
      EXPECT_EQ(a.frames[i].wire_length, b.frames[i].wire_length);
      EXPECT_EQ(a.data[i], b.data[i]) << "frame " << i + 1;
    }
  }
}

TEST(PcapSource, TimestampsAreNanosecondsSinceTheEpoch) {
  REQUIRE_PUBLIC_CAPTURES();
  // tshark: 1710375239.779162532 (pcapng, nanosecond resolution) and 1056991896.692766 (pcap).
  auto ng = PcapSource::open_file((kPublic / "scapy__dcerpc_privacy_ntlm.pcapng").string());
  ASSERT_TRUE(ng.ok());
  auto first = (*ng)->next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->time.count(), 1710375239779162532);
  auto classic = PcapSource::open_file((kPublic / "zeek__mapi.pcap").string());
  ASSERT_TRUE(classic.ok());
  ASSERT_TRUE((*classic)->next().ok());
  auto second = (*classic)->next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->number, 2u);
  EXPECT_EQ((*second)->time.count(), 1056991896692766000);
  EXPECT_EQ((*second)->wire_length, 198u);
}

TEST(PcapSource, CutInsideARecordNamesThatFrame) {
  REQUIRE_PUBLIC_CAPTURES();
  const Bytes file = read_all(kPublic / "arkime__dcerpc_synthetic.pcap");
  const std::vector<std::size_t> records = pcap_record_offsets(file);
  ASSERT_EQ(records.size(), 125u);
  const std::size_t fifth = records[4];
  for (std::size_t cut : {fifth + 7, fifth + 16 + 5}) {
    auto source = open_bytes(prefix(file, cut));
    ASSERT_NE(source, nullptr);
    const Drained got = drain(*source);
    EXPECT_EQ(got.frames.size(), 4u);
    ASSERT_TRUE(got.error);
    EXPECT_EQ(got.error->file, "cut.pcap");
    EXPECT_EQ(got.error->frame, 5u);
    EXPECT_NE(got.error->reason.find("truncated"), std::string::npos) << got.error->reason;
    // The failure is sticky rather than a read of whatever follows.
    auto again = source->next();
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().frame, 5u);
  }
  auto clean = open_bytes(prefix(file, fifth));
  ASSERT_NE(clean, nullptr);
  const Drained got = drain(*clean);
  EXPECT_EQ(got.frames.size(), 4u);
  EXPECT_FALSE(got.error);
}

TEST(PcapSource, CutInsideAPcapngBlockNamesThatFrame) {
  REQUIRE_PUBLIC_CAPTURES();
  const Bytes file = read_all(kPublic / "scapy__dcerpc_privacy_ntlm.pcapng");
  const std::vector<std::size_t> packets = pcapng_packet_offsets(file);
  ASSERT_EQ(packets.size(), 35u);
  auto source = open_bytes(prefix(file, packets[9] + 30));
  ASSERT_NE(source, nullptr);
  const Drained got = drain(*source);
  EXPECT_EQ(got.frames.size(), 9u);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(got.error->frame, 10u);
}

TEST(PcapSource, CutInsideTheFileHeaderIsFrameZero) {
  REQUIRE_PUBLIC_CAPTURES();
  for (const char* name : {"zeek__20-fids.pcap", "scapy__dcerpc_privacy_ntlm.pcapng"}) {
    const Bytes file = read_all(kPublic / name);
    auto source = PcapSource::open_memory(prefix(file, 10), name);
    ASSERT_FALSE(source.ok()) << name;
    EXPECT_EQ(source.error().frame, 0u);
    EXPECT_EQ(source.error().file, name);
    EXPECT_FALSE(source.error().reason.empty());
  }
}

TEST(PcapSource, GarbageEmptyAndMissingInputsAreHeaderErrors) {
  Bytes garbage;
  for (int i = 0; i < 4096; ++i) {
    garbage.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  }
  auto from_garbage = PcapSource::open_memory(garbage);
  ASSERT_FALSE(from_garbage.ok());
  EXPECT_EQ(from_garbage.error().frame, 0u);
  EXPECT_EQ(from_garbage.error().file, "<memory>");

  auto from_empty = PcapSource::open_memory(Bytes{}, "empty.pcap");
  ASSERT_FALSE(from_empty.ok());
  EXPECT_EQ(from_empty.error().frame, 0u);
  EXPECT_EQ(from_empty.error().to_string().rfind("empty.pcap: file header: ", 0), 0u);

  const std::string missing = (fs::temp_directory_path() / "rpcfit-no-such-capture.pcap").string();
  auto from_missing = PcapSource::open_file(missing);
  ASSERT_FALSE(from_missing.ok());
  EXPECT_EQ(from_missing.error().file, missing);
  EXPECT_EQ(from_missing.error().frame, 0u);
}

// A nanosecond-magic classic pcap (LINKTYPE_RAW) with the given records, built in memory.
Bytes raw_pcap(const std::vector<std::pair<std::uint32_t, Bytes>>& records_with_caplen) {
  Bytes out(24, 0);
  store_be32(out.data(), 0xa1b23c4d);
  store_be16(out.data() + 4, 2);
  store_be16(out.data() + 6, 4);
  store_be32(out.data() + 16, 65535);
  store_be32(out.data() + 20, 101);
  std::uint32_t second = 1700000000;
  for (const auto& [caplen, data] : records_with_caplen) {
    Bytes header(16, 0);
    store_be32(header.data(), second++);
    store_be32(header.data() + 4, 123456789);
    store_be32(header.data() + 8, caplen);
    store_be32(header.data() + 12, static_cast<std::uint32_t>(data.size()));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

Bytes raw_ipv4_udp() {
  Bytes p(28 + 3, 0);
  p[0] = 0x45;
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  p[9] = 17;
  p[12] = 127;
  p[15] = 1;
  p[16] = 127;
  p[19] = 1;
  store_be16(p.data() + 20, 135);
  store_be16(p.data() + 22, 5000);
  store_be16(p.data() + 24, 11);
  p[28] = 'c';
  p[29] = 'l';
  p[30] = '!';
  return p;
}

TEST(PcapSource, RawIpLinkTypeAndNanosecondMagic) {
  const Bytes packet = raw_ipv4_udp();
  auto source = open_bytes(raw_pcap({{static_cast<std::uint32_t>(packet.size()), packet}}));
  ASSERT_NE(source, nullptr);
  auto frame = source->next();
  ASSERT_TRUE(frame.ok() && frame->has_value());
  EXPECT_EQ((*frame)->time.count(), 1700000000123456789);
  EXPECT_EQ((*frame)->linktype, source->linktype());
  // libpcap reports LINKTYPE_RAW (101) as its DLT_RAW, which parse_packet takes as well.
  auto parsed = parse_packet((*frame)->linktype, (*frame)->data);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_TRUE(std::holds_alternative<PacketInfo>(*parsed));
  const PacketInfo& info = std::get<PacketInfo>(*parsed);
  EXPECT_EQ(info.transport, TransportKind::udp);
  EXPECT_EQ(std::string(info.payload.begin(), info.payload.end()), "cl!");
}

TEST(PcapSource, AbsurdCaptureLengthIsAnErrorOfThatFrame) {
  const Bytes packet = raw_ipv4_udp();
  const auto len = static_cast<std::uint32_t>(packet.size());
  auto source = open_bytes(raw_pcap({{len, packet}, {0xfffffff0u, packet}}));
  ASSERT_NE(source, nullptr);
  const Drained got = drain(*source);
  EXPECT_EQ(got.frames.size(), 1u);
  ASSERT_TRUE(got.error);
  EXPECT_EQ(got.error->frame, 2u);
  EXPECT_FALSE(got.error->reason.empty());
}

// Wherever a capture is cut, reading stops at a clean end or names the frame after the last good
// one, and never crashes.
TEST(PcapSource, EveryCutFailsCleanly) {
  REQUIRE_PUBLIC_CAPTURES();
  for (const char* name : {"arkime__dcerpc_synthetic.pcap", "scapy__dcerpc_privacy_ntlm.pcapng"}) {
    SCOPED_TRACE(name);
    const Bytes file = read_all(kPublic / name);
    std::size_t errors = 0;
    for (std::size_t cut = 1; cut < file.size(); cut += 13) {
      auto source = PcapSource::open_memory(prefix(file, cut), name);
      if (!source.ok()) {
        EXPECT_EQ(source.error().frame, 0u) << cut;
        continue;
      }
      const Drained got = drain(**source);
      if (got.error) {
        EXPECT_EQ(got.error->frame, got.frames.size() + 1) << cut;
        ++errors;
      }
    }
    EXPECT_GT(errors, 0u);
  }
}

}  // namespace
}  // namespace rpcfit::captures

namespace rpcfit::captures {
namespace {

void le32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A pcapng file with nanosecond resolution (if_tsresol 9) whose one packet carries the largest
// 64-bit timestamp: about the year 2554, beyond what nanoseconds since the epoch can hold.
Bytes pcapng_with_timestamp(std::uint64_t ts) {
  Bytes b;
  le32(b, 0x0A0D0D0A);  // section header block
  le32(b, 28);
  le32(b, 0x1A2B3C4D);
  le32(b, 0x00000001);  // version 1.0
  le32(b, 0xffffffff);  // section length unknown
  le32(b, 0xffffffff);
  le32(b, 28);
  le32(b, 1);  // interface description block
  le32(b, 32);
  le32(b, 1);  // LINKTYPE_ETHERNET, reserved 0
  le32(b, 65535);
  le32(b, 0x00010009);  // option if_tsresol, length 1
  le32(b, 0x00000009);  // 10^-9, padded
  le32(b, 0);           // opt_endofopt
  le32(b, 32);
  le32(b, 6);  // enhanced packet block with 4 bytes of data
  le32(b, 36);
  le32(b, 0);
  le32(b, static_cast<std::uint32_t>(ts >> 32));
  le32(b, static_cast<std::uint32_t>(ts));
  le32(b, 4);
  le32(b, 4);
  le32(b, 0xdeadbeef);
  le32(b, 36);
  return b;
}

TEST(PcapSource, FarFutureTimestampSaturatesInsteadOfOverflowing) {
  auto source = PcapSource::open_memory(pcapng_with_timestamp(~std::uint64_t{0}), "future.pcapng");
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  auto frame = (*source)->next();
  ASSERT_TRUE(frame.ok()) << frame.error().to_string();
  ASSERT_TRUE(frame->has_value());
  EXPECT_GT((*frame)->time.count(), std::int64_t{9'000'000'000} * 1'000'000'000);
  EXPECT_EQ((*frame)->data.size(), 4u);

  auto ordinary = PcapSource::open_memory(pcapng_with_timestamp(1'767'225'600'123'456'789ull));
  ASSERT_TRUE(ordinary.ok());
  auto f = (*ordinary)->next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->time, Timestamp{1'767'225'600'123'456'789});
}

}  // namespace
}  // namespace rpcfit::captures
