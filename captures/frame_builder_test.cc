#include "captures/frame_builder.h"

#include <gtest/gtest.h>

namespace rpcfit::captures {
namespace {

// Checksums are verified with this independent one's-complement sum, not the builder's own code:
// a packet is valid when the sum over the covered bytes, checksum included, is 0xffff.
std::uint16_t ones_complement_sum(const Bytes& data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    const std::uint32_t hi = data[i];
    const std::uint32_t lo = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (hi << 8) | lo;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

Bytes slice(const Bytes& frame, std::size_t from, std::size_t n) {
  return Bytes(frame.begin() + static_cast<std::ptrdiff_t>(from),
               frame.begin() + static_cast<std::ptrdiff_t>(from + n));
}

// Pseudo-header (RFC 793 for IPv4, RFC 8200 section 8.1 for IPv6) followed by the segment.
Bytes with_pseudo_header(const Endpoint& src, const Endpoint& dst, std::uint8_t protocol,
                         const Bytes& segment) {
  const std::size_t n = src.address.v6 ? 16 : 4;
  Bytes out(src.address.bytes.begin(), src.address.bytes.begin() + static_cast<std::ptrdiff_t>(n));
  out.insert(out.end(), dst.address.bytes.begin(),
             dst.address.bytes.begin() + static_cast<std::ptrdiff_t>(n));
  const auto len = static_cast<std::uint32_t>(segment.size());
  if (src.address.v6) {
    out.insert(
        out.end(),
        {static_cast<std::uint8_t>(len >> 24), static_cast<std::uint8_t>(len >> 16),
         static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len), 0, 0, 0, protocol});
  } else {
    out.insert(out.end(),
               {0, protocol, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)});
  }
  out.insert(out.end(), segment.begin(), segment.end());
  return out;
}

const Endpoint kClientV4{IpAddress::v4(10, 1, 2, 3), 49152};
const Endpoint kServerV4{IpAddress::v4(192, 168, 7, 9), 135};
const Endpoint kClientV6{*IpAddress::parse("2001:db8::1"), 50000};
const Endpoint kServerV6{*IpAddress::parse("2001:db8::2"), 135};
const Bytes kPayload{0x05, 0x00, 0x0b, 0x03, 0x10,
                     0x00, 0x00, 0x00, 0xaa};  // odd length on purpose

TEST(WriterFrameBuilder, Ipv4TcpFieldsAndChecksums) {
  TcpSegmentSpec spec;
  spec.src = kClientV4;
  spec.dst = kServerV4;
  spec.seq = 0x01020304;
  spec.ack = 0xa0b0c0d0;
  spec.flags = kTcpPsh | kTcpAck;
  spec.window = 8192;
  spec.payload = kPayload;
  spec.ip_id = 0x1234;
  auto built = build_tcp_frame(spec);
  ASSERT_TRUE(built) << built.error();
  const Bytes& f = *built;
  ASSERT_EQ(f.size(), 14u + 20u + 20u + kPayload.size());

  EXPECT_EQ(slice(f, 0, 6), (Bytes{0x02, 0x00, 192, 168, 7, 9}));  // destination MAC
  EXPECT_EQ(slice(f, 6, 6), (Bytes{0x02, 0x00, 10, 1, 2, 3}));     // source MAC
  EXPECT_EQ(load_be16(&f[12]), 0x0800);

  EXPECT_EQ(f[14], 0x45);
  EXPECT_EQ(load_be16(&f[16]), 20u + 20u + kPayload.size());
  EXPECT_EQ(load_be16(&f[18]), 0x1234);
  EXPECT_EQ(load_be16(&f[20]), 0x4000);  // DF, fragment offset 0
  EXPECT_EQ(f[22], 64);
  EXPECT_EQ(f[23], 6);
  EXPECT_EQ(slice(f, 26, 4), (Bytes{10, 1, 2, 3}));
  EXPECT_EQ(slice(f, 30, 4), (Bytes{192, 168, 7, 9}));
  EXPECT_EQ(ones_complement_sum(slice(f, 14, 20)), 0xffff);

  EXPECT_EQ(load_be16(&f[34]), 49152);
  EXPECT_EQ(load_be16(&f[36]), 135);
  EXPECT_EQ(load_be32(&f[38]), 0x01020304u);
  EXPECT_EQ(load_be32(&f[42]), 0xa0b0c0d0u);
  EXPECT_EQ(f[46], 0x50);  // 5 words, no options
  EXPECT_EQ(f[47], kTcpPsh | kTcpAck);
  EXPECT_EQ(load_be16(&f[48]), 8192);
  EXPECT_NE(load_be16(&f[50]), 0);
  EXPECT_EQ(load_be16(&f[52]), 0);  // urgent pointer
  EXPECT_EQ(slice(f, 54, kPayload.size()), kPayload);
  const Bytes segment = slice(f, 34, f.size() - 34);
  EXPECT_EQ(ones_complement_sum(with_pseudo_header(kClientV4, kServerV4, 6, segment)), 0xffff);
}

TEST(WriterFrameBuilder, SynCarriesMssOption) {
  TcpSegmentSpec spec;
  spec.src = kClientV4;
  spec.dst = kServerV4;
  spec.seq = 7;
  spec.flags = kTcpSyn;
  spec.mss = 1460;
  auto built = build_tcp_frame(spec);
  ASSERT_TRUE(built) << built.error();
  const Bytes& f = *built;
  ASSERT_EQ(f.size(), 14u + 20u + 24u);
  EXPECT_EQ(load_be16(&f[16]), 44);
  EXPECT_EQ(f[46], 0x60);  // 6 words
  EXPECT_EQ(f[47], kTcpSyn);
  EXPECT_EQ(load_be32(&f[42]), 0u);
  EXPECT_EQ(slice(f, 54, 4), (Bytes{0x02, 0x04, 0x05, 0xb4}));
  EXPECT_EQ(ones_complement_sum(slice(f, 14, 20)), 0xffff);
  EXPECT_EQ(ones_complement_sum(with_pseudo_header(kClientV4, kServerV4, 6, slice(f, 34, 24))),
            0xffff);
}

TEST(WriterFrameBuilder, Ipv6TcpFieldsAndChecksum) {
  TcpSegmentSpec spec;
  spec.src = kClientV6;
  spec.dst = kServerV6;
  spec.seq = 100;
  spec.ack = 200;
  spec.flags = kTcpAck;
  spec.payload = kPayload;
  auto built = build_tcp_frame(spec);
  ASSERT_TRUE(built) << built.error();
  const Bytes& f = *built;
  ASSERT_EQ(f.size(), 14u + 40u + 20u + kPayload.size());
  const auto server_mac = mac_for(kServerV6.address);
  EXPECT_EQ(slice(f, 0, 6), Bytes(server_mac.begin(), server_mac.end()));
  EXPECT_EQ(load_be16(&f[12]), 0x86dd);
  EXPECT_EQ(load_be32(&f[14]), 0x60000000u);
  EXPECT_EQ(load_be16(&f[18]), 20u + kPayload.size());
  EXPECT_EQ(f[20], 6);   // next header
  EXPECT_EQ(f[21], 64);  // hop limit
  EXPECT_EQ(slice(f, 22, 16),
            Bytes(kClientV6.address.bytes.begin(), kClientV6.address.bytes.end()));
  EXPECT_EQ(slice(f, 38, 16),
            Bytes(kServerV6.address.bytes.begin(), kServerV6.address.bytes.end()));
  EXPECT_EQ(load_be16(&f[54]), 50000);
  EXPECT_EQ(load_be32(&f[58]), 100u);
  EXPECT_EQ(load_be32(&f[62]), 200u);
  EXPECT_EQ(slice(f, 74, kPayload.size()), kPayload);
  const Bytes segment = slice(f, 54, f.size() - 54);
  EXPECT_EQ(ones_complement_sum(with_pseudo_header(kClientV6, kServerV6, 6, segment)), 0xffff);
}

TEST(WriterFrameBuilder, UdpOverBothFamilies) {
  for (const auto& [src, dst] :
       {std::pair{kClientV4, kServerV4}, std::pair{kClientV6, kServerV6}}) {
    SCOPED_TRACE(src.to_string());
    auto built = build_udp_frame(src, dst, kPayload, 77);
    ASSERT_TRUE(built) << built.error();
    const Bytes& f = *built;
    const std::size_t udp = src.address.v6 ? 54 : 34;
    ASSERT_EQ(f.size(), udp + 8 + kPayload.size());
    if (src.address.v6) {
      EXPECT_EQ(f[20], 17);
      EXPECT_EQ(load_be16(&f[18]), 8u + kPayload.size());
    } else {
      EXPECT_EQ(f[23], 17);
      EXPECT_EQ(load_be16(&f[18]), 77);
      EXPECT_EQ(ones_complement_sum(slice(f, 14, 20)), 0xffff);
    }
    EXPECT_EQ(load_be16(&f[udp]), src.port);
    EXPECT_EQ(load_be16(&f[udp + 2]), dst.port);
    EXPECT_EQ(load_be16(&f[udp + 4]), 8u + kPayload.size());
    EXPECT_EQ(slice(f, udp + 8, kPayload.size()), kPayload);
    const Bytes segment = slice(f, udp, f.size() - udp);
    EXPECT_EQ(ones_complement_sum(with_pseudo_header(src, dst, 17, segment)), 0xffff);
  }
}

TEST(WriterFrameBuilder, UdpChecksumThatComputesToZeroIsSentAsAllOnes) {
  // Two payload bytes equal to the checksum of a zero payload bring the sum to 0xffff, whose
  // complement is zero, the value UDP reserves for "no checksum".
  auto zero = build_udp_frame(kClientV4, kServerV4, Bytes{0, 0});
  ASSERT_TRUE(zero) << zero.error();
  const std::uint16_t c = load_be16(&(*zero)[40]);
  const Bytes payload{static_cast<std::uint8_t>(c >> 8), static_cast<std::uint8_t>(c)};
  auto built = build_udp_frame(kClientV4, kServerV4, payload);
  ASSERT_TRUE(built) << built.error();
  EXPECT_EQ(load_be16(&(*built)[40]), 0xffff);
  EXPECT_EQ(
      ones_complement_sum(with_pseudo_header(kClientV4, kServerV4, 17, slice(*built, 34, 10))),
      0xffff);
}

TEST(WriterFrameBuilder, MacIsLocallyAdministeredAndDerivedFromTheAddress) {
  EXPECT_EQ(mac_for(IpAddress::v4(127, 0, 0, 1)),
            (std::array<std::uint8_t, 6>{0x02, 0x00, 127, 0, 0, 1}));
  const auto a = mac_for(kClientV6.address);
  EXPECT_EQ(a[0], 0x02);
  EXPECT_EQ(a, mac_for(kClientV6.address));
  EXPECT_NE(a, mac_for(kServerV6.address));
}

TEST(WriterFrameBuilder, RejectsMixedFamilies) {
  TcpSegmentSpec spec;
  spec.src = kClientV4;
  spec.dst = kServerV6;
  auto tcp = build_tcp_frame(spec);
  ASSERT_FALSE(tcp);
  EXPECT_NE(tcp.error().find("different address families"), std::string::npos);
  EXPECT_FALSE(build_udp_frame(kClientV6, kServerV4, kPayload));
}

TEST(WriterFrameBuilder, PayloadLimitIsOneIpPacket) {
  EXPECT_EQ(max_tcp_payload(false), 65495u);
  EXPECT_EQ(max_tcp_payload(true), 65515u);
  EXPECT_EQ(max_udp_payload(false), 65507u);
  EXPECT_EQ(max_udp_payload(true), 65527u);
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    const Endpoint& src = v6 ? kClientV6 : kClientV4;
    const Endpoint& dst = v6 ? kServerV6 : kServerV4;
    const Bytes largest(max_tcp_payload(v6), 0x5a);
    TcpSegmentSpec spec;
    spec.src = src;
    spec.dst = dst;
    spec.flags = kTcpAck;
    spec.payload = largest;
    auto fits = build_tcp_frame(spec);
    ASSERT_TRUE(fits) << fits.error();
    EXPECT_EQ(load_be16(&(*fits)[v6 ? 18 : 16]), 65535u);  // IPv4 total or IPv6 payload length
    const Bytes too_big(max_tcp_payload(v6) + 1, 0x5a);
    spec.payload = too_big;
    auto rejected = build_tcp_frame(spec);
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().find("does not fit"), std::string::npos) << rejected.error();
    spec.payload = largest;
    spec.mss = 1460;  // the option takes four bytes from the payload's room
    EXPECT_FALSE(build_tcp_frame(spec));

    EXPECT_TRUE(build_udp_frame(src, dst, Bytes(max_udp_payload(v6), 1)));
    EXPECT_FALSE(build_udp_frame(src, dst, Bytes(max_udp_payload(v6) + 1, 1)));
  }
}

}  // namespace
}  // namespace rpcfit::captures
