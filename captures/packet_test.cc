#include "captures/packet.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace rpcfit::captures {
namespace {

// Hand-built headers, assembled by the tests below into whole frames.
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Bytes text(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

Bytes ethernet(std::uint16_t type) {
  Bytes h{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0, 0};
  store_be16(h.data() + 12, type);
  return h;
}

Bytes vlan(std::uint16_t inner_type) {
  Bytes h{0x00, 0x64, 0, 0};
  store_be16(h.data() + 2, inner_type);
  return h;
}

struct Ipv4Options {
  std::uint8_t protocol = 6;
  std::size_t payload = 0;       // bytes after the IP header, for the total length
  std::uint16_t frag = 0;        // flags and fragment offset field
  std::size_t option_words = 0;  // 32-bit option words after the fixed header
  int total_override = -1;       // a total length to write instead of the right one
};

Bytes ipv4(const Ipv4Options& o) {
  Bytes h(20 + o.option_words * 4, 0);
  h[0] = static_cast<std::uint8_t>(0x40 | (5 + o.option_words));
  const std::size_t total = h.size() + o.payload;
  store_be16(h.data() + 2,
             static_cast<std::uint16_t>(
                 o.total_override >= 0 ? static_cast<std::size_t>(o.total_override) : total));
  store_be16(h.data() + 6, o.frag);
  h[8] = 64;
  h[9] = o.protocol;
  const Bytes addresses{10, 0, 0, 1, 10, 0, 0, 2};
  std::copy(addresses.begin(), addresses.end(), h.begin() + 12);
  return h;
}

Bytes ipv6(std::uint8_t next, std::size_t payload_length) {
  Bytes h(40, 0);
  h[0] = 0x60;
  store_be16(h.data() + 4, static_cast<std::uint16_t>(payload_length));
  h[6] = next;
  h[7] = 64;
  h[8] = 0x20;
  h[9] = 0x01;
  h[23] = 1;  // 2001::1
  h[24] = 0x20;
  h[25] = 0x01;
  h[39] = 2;  // 2001::2
  return h;
}

// An extension header of `units` 8-octet units after the first eight.
Bytes ext(std::uint8_t next, std::uint8_t units) {
  Bytes h((units + 1u) * 8u, 0);
  h[0] = next;
  h[1] = units;
  return h;
}

Bytes fragment_header(std::uint8_t next, std::uint16_t offset_units, bool more) {
  Bytes h(8, 0);
  h[0] = next;
  store_be16(h.data() + 2, static_cast<std::uint16_t>((offset_units << 3) | (more ? 1 : 0)));
  store_be32(h.data() + 4, 0x1234);
  return h;
}

Bytes tcp(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, std::uint8_t words = 5) {
  Bytes h(words * 4u, 0);
  store_be16(h.data(), 49152);
  store_be16(h.data() + 2, 135);
  store_be32(h.data() + 4, seq);
  store_be32(h.data() + 8, ack);
  h[12] = static_cast<std::uint8_t>(words << 4);
  h[13] = flags;
  return h;
}

Bytes udp(std::size_t length_field) {
  Bytes h(8, 0);
  store_be16(h.data(), 1024);
  store_be16(h.data() + 2, 34964);
  store_be16(h.data() + 4, static_cast<std::uint16_t>(length_field));
  return h;
}

Bytes ipv4_tcp(const Bytes& payload) {
  return cat({ipv4({.payload = 20 + payload.size()}),
              tcp(1000, 2000, tcp_flags::psh | tcp_flags::ack), payload});
}

Bytes ipv6_tcp(const Bytes& payload) {
  return cat({ipv6(6, 20 + payload.size()), tcp(7, 9, tcp_flags::ack), payload});
}

// The packet with its payload copied out, so that tests may parse temporaries.
struct Parsed : PacketInfo {
  Bytes data;
};

Parsed parse_ok(int link, const Bytes& frame) {
  auto r = parse_packet(link, frame);
  EXPECT_TRUE(r.ok()) << r.error();
  if (!r.ok()) return {};
  EXPECT_TRUE(std::holds_alternative<PacketInfo>(*r));
  if (!std::holds_alternative<PacketInfo>(*r)) return {};
  Parsed out{std::get<PacketInfo>(*r), {}};
  out.data.assign(out.payload.begin(), out.payload.end());
  out.payload = {};
  return out;
}

Skipped parse_skipped(int link, const Bytes& frame) {
  auto r = parse_packet(link, frame);
  EXPECT_TRUE(r.ok()) << r.error();
  if (!r.ok()) return {};
  EXPECT_TRUE(std::holds_alternative<Skipped>(*r));
  if (!std::holds_alternative<Skipped>(*r)) return {};
  return std::get<Skipped>(*r);
}

std::string parse_error(int link, const Bytes& frame) {
  auto r = parse_packet(link, frame);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string("(parsed)") : r.error();
}

Bytes payload_of(const Parsed& p) {
  return p.data;
}

TEST(ParsePacket, EthernetIpv4Tcp) {
  const Parsed p = parse_ok(linktype::ethernet, cat({ethernet(0x0800), ipv4_tcp(text("hi!"))}));
  EXPECT_EQ(p.transport, TransportKind::tcp);
  EXPECT_EQ(p.src.to_string(), "10.0.0.1:49152");
  EXPECT_EQ(p.dst.to_string(), "10.0.0.2:135");
  EXPECT_EQ(p.tcp.seq, 1000u);
  EXPECT_EQ(p.tcp.ack, 2000u);
  EXPECT_EQ(p.tcp.flags, tcp_flags::psh | tcp_flags::ack);
  EXPECT_EQ(payload_of(p), text("hi!"));
  EXPECT_FALSE(p.payload_truncated);
}

TEST(ParsePacket, EthernetPaddingIsNotPayload) {
  Bytes frame = cat({ethernet(0x0800), ipv4_tcp(text("ab"))});
  frame.resize(60, 0xee);  // minimum Ethernet frame
  const Parsed p = parse_ok(linktype::ethernet, frame);
  EXPECT_EQ(payload_of(p), text("ab"));
  EXPECT_FALSE(p.payload_truncated);
}

TEST(ParsePacket, Ipv4OptionsAreSkipped) {
  const Bytes frame = cat({ethernet(0x0800), ipv4({.payload = 23, .option_words = 2}),
                           tcp(1, 2, tcp_flags::ack), text("xyz")});
  EXPECT_EQ(payload_of(parse_ok(linktype::ethernet, frame)), text("xyz"));
}

TEST(ParsePacket, TcpOptionsAreSkipped) {
  const Bytes frame =
      cat({ethernet(0x0800), ipv4({.payload = 32 + 2}), tcp(1, 2, tcp_flags::ack, 8), text("ok")});
  EXPECT_EQ(payload_of(parse_ok(linktype::ethernet, frame)), text("ok"));
}

TEST(ParsePacket, EthernetIpv4Udp) {
  const Bytes frame =
      cat({ethernet(0x0800), ipv4({.protocol = 17, .payload = 8 + 4}), udp(12), text("dgrm")});
  const Parsed p = parse_ok(linktype::ethernet, frame);
  EXPECT_EQ(p.transport, TransportKind::udp);
  EXPECT_EQ(p.src.port, 1024);
  EXPECT_EQ(p.dst.port, 34964);
  EXPECT_EQ(payload_of(p), text("dgrm"));
  EXPECT_FALSE(p.payload_truncated);
}

TEST(ParsePacket, UdpLengthCutsTrailingBytes) {
  const Bytes frame =
      cat({ethernet(0x0800), ipv4({.protocol = 17, .payload = 8 + 4}), udp(10), text("dgrm")});
  EXPECT_EQ(payload_of(parse_ok(linktype::ethernet, frame)), text("dg"));
}

TEST(ParsePacket, UdpLengthBeyondDataIsTruncation) {
  const Bytes frame =
      cat({ethernet(0x0800), ipv4({.protocol = 17, .payload = 8 + 4}), udp(100), text("dgrm")});
  const Parsed p = parse_ok(linktype::ethernet, frame);
  EXPECT_EQ(payload_of(p), text("dgrm"));
  EXPECT_TRUE(p.payload_truncated);
}

TEST(ParsePacket, UdpLengthBelowHeaderIsError) {
  const Bytes frame =
      cat({ethernet(0x0800), ipv4({.protocol = 17, .payload = 8 + 4}), udp(7), text("dgrm")});
  EXPECT_EQ(parse_error(linktype::ethernet, frame), "UDP header at offset 34: length 7 is below 8");
}

TEST(ParsePacket, SnaplenCutIsTruncatedPayload) {
  Bytes frame = cat({ethernet(0x0800), ipv4_tcp(text("0123456789"))});
  frame.resize(frame.size() - 6);
  const Parsed p = parse_ok(linktype::ethernet, frame);
  EXPECT_EQ(payload_of(p), text("0123"));
  EXPECT_TRUE(p.payload_truncated);
}

TEST(ParsePacket, StackedVlanTags) {
  const Bytes frame = cat({ethernet(0x88a8), vlan(0x8100), vlan(0x0800), ipv4_tcp(text("v"))});
  const Parsed p = parse_ok(linktype::ethernet, frame);
  EXPECT_EQ(payload_of(p), text("v"));
  EXPECT_EQ(p.dst.port, 135);
}

TEST(ParsePacket, TooManyVlanTagsIsError) {
  Bytes frame = ethernet(0x8100);
  for (int i = 0; i < 9; ++i)
    frame = cat({frame, vlan(0x8100)});
  frame = cat({frame, ipv4_tcp(text("v"))});
  EXPECT_EQ(parse_error(linktype::ethernet, frame),
            "VLAN tag at offset 46: more than 8 stacked tags");
}

TEST(ParsePacket, LinuxCookedSll) {
  Bytes sll(16, 0);
  store_be16(sll.data() + 14, 0x86dd);
  EXPECT_EQ(payload_of(parse_ok(linktype::linux_sll, cat({sll, ipv6_tcp(text("sll"))}))),
            text("sll"));
}

TEST(ParsePacket, LinuxCookedSll2) {
  Bytes sll2(20, 0);
  store_be16(sll2.data(), 0x0800);
  EXPECT_EQ(payload_of(parse_ok(linktype::linux_sll2, cat({sll2, ipv4_tcp(text("sll2"))}))),
            text("sll2"));
}

TEST(ParsePacket, BsdNullAcceptsBothByteOrders) {
  const Bytes little{2, 0, 0, 0};
  const Bytes big{0, 0, 0, 2};
  const Bytes darwin_v6{30, 0, 0, 0};
  EXPECT_EQ(payload_of(parse_ok(linktype::null, cat({little, ipv4_tcp(text("a"))}))), text("a"));
  EXPECT_EQ(payload_of(parse_ok(linktype::null, cat({big, ipv4_tcp(text("b"))}))), text("b"));
  EXPECT_EQ(payload_of(parse_ok(linktype::null, cat({darwin_v6, ipv6_tcp(text("c"))}))), text("c"));
  EXPECT_EQ(parse_skipped(linktype::null, cat({Bytes{7, 0, 0, 0}, ipv4_tcp(text("d"))})).reason,
            SkipReason::not_ip);
}

TEST(ParsePacket, LoopIsNetworkOrder) {
  const Bytes linux_v6{0, 0, 0, 10};
  EXPECT_EQ(payload_of(parse_ok(linktype::loop, cat({linux_v6, ipv6_tcp(text("lo"))}))),
            text("lo"));
  EXPECT_EQ(parse_skipped(linktype::loop, cat({Bytes{2, 0, 0, 0}, ipv4_tcp(text("x"))})).reason,
            SkipReason::not_ip);
}

TEST(ParsePacket, RawIpTakesVersionFromFirstNibble) {
  for (int link : {linktype::raw, linktype::raw_12, linktype::raw_14}) {
    EXPECT_EQ(payload_of(parse_ok(link, ipv4_tcp(text("4")))), text("4")) << link;
    EXPECT_EQ(payload_of(parse_ok(link, ipv6_tcp(text("6")))), text("6")) << link;
  }
  EXPECT_EQ(parse_error(linktype::raw, Bytes{0x50, 0, 0, 0}),
            "IP header at offset 0: version 5 is neither 4 nor 6");
}

TEST(ParsePacket, Ipv4AndIpv6LinkTypesCheckTheVersion) {
  EXPECT_EQ(payload_of(parse_ok(linktype::ipv4, ipv4_tcp(text("4")))), text("4"));
  EXPECT_EQ(payload_of(parse_ok(linktype::ipv6, ipv6_tcp(text("6")))), text("6"));
  EXPECT_EQ(parse_error(linktype::ipv4, ipv6_tcp(text("6"))),
            "IPv4 header at offset 0: version field is 6");
}

TEST(ParsePacket, Ipv6AddressesAndExtensionHeaders) {
  const Bytes body = cat({ext(43, 0), ext(44, 1), fragment_header(60, 0, false), ext(6, 0),
                          tcp(5, 6, tcp_flags::ack), text("ext")});
  const Bytes frame = cat({ethernet(0x86dd), ipv6(0, body.size()), body});
  const Parsed p = parse_ok(linktype::ethernet, frame);
  EXPECT_EQ(p.src.to_string(), "[2001::1]:49152");
  EXPECT_EQ(p.dst.to_string(), "[2001::2]:135");
  EXPECT_EQ(payload_of(p), text("ext"));
}

TEST(ParsePacket, Ipv6FragmentsAreSkipped) {
  for (const Bytes& frag : {fragment_header(6, 0, true), fragment_header(6, 3, false)}) {
    const Bytes body = cat({frag, tcp(5, 6, tcp_flags::ack)});
    const Skipped s = parse_skipped(linktype::ipv6, cat({ipv6(44, body.size()), body}));
    EXPECT_EQ(s.reason, SkipReason::ip_fragment) << s.detail;
  }
}

TEST(ParsePacket, Ipv6ExtensionHeaderBeyondPayloadLengthIsError) {
  const Bytes body = cat({ext(6, 2), tcp(5, 6, tcp_flags::ack)});
  EXPECT_EQ(parse_error(linktype::ipv6, cat({ipv6(0, 16), body})),
            "IPv6 hop-by-hop options header at offset 40: length 24 exceeds the 16 bytes of "
            "payload left");
}

TEST(ParsePacket, Ipv6OtherTransportIsSkipped) {
  const Skipped s = parse_skipped(linktype::ipv6, cat({ipv6(58, 8), Bytes(8, 0)}));
  EXPECT_EQ(s.reason, SkipReason::other_transport);
  EXPECT_EQ(s.detail, "IPv6 next header 58");
}

TEST(ParsePacket, Ipv4FragmentsAreSkipped) {
  for (std::uint16_t frag : {std::uint16_t{0x2000}, std::uint16_t{0x0010}}) {
    const Bytes frame =
        cat({ethernet(0x0800), ipv4({.payload = 20, .frag = frag}), tcp(1, 2, tcp_flags::ack)});
    EXPECT_EQ(parse_skipped(linktype::ethernet, frame).reason, SkipReason::ip_fragment);
  }
  // Don't-fragment alone is a whole packet.
  const Bytes frame =
      cat({ethernet(0x0800), ipv4({.payload = 20, .frag = 0x4000}), tcp(1, 2, tcp_flags::ack)});
  EXPECT_TRUE(parse_ok(linktype::ethernet, frame).data.empty());
}

TEST(ParsePacket, NonIpAndOtherTransportsAreSkipped) {
  EXPECT_EQ(parse_skipped(linktype::ethernet, cat({ethernet(0x0806), Bytes(28, 0)})).detail,
            "ethertype 0x0806");
  EXPECT_EQ(parse_skipped(linktype::ethernet, cat({ethernet(0x0026), Bytes(46, 0)})).reason,
            SkipReason::not_ip);
  const Bytes icmp = cat({ethernet(0x0800), ipv4({.protocol = 1, .payload = 8}), Bytes(8, 0)});
  EXPECT_EQ(parse_skipped(linktype::ethernet, icmp).reason, SkipReason::other_transport);
  EXPECT_EQ(parse_skipped(147, ipv4_tcp(text("x"))).reason, SkipReason::unsupported_linktype);
}

TEST(ParsePacket, MalformedLengthsAreErrors) {
  EXPECT_EQ(parse_error(linktype::ethernet, Bytes(10, 0)),
            "Ethernet header at offset 0: needs 14 bytes, 10 captured");
  EXPECT_EQ(parse_error(linktype::ethernet, cat({ethernet(0x0800), Bytes{0x45, 0, 0}})),
            "IPv4 header at offset 14: needs 20 bytes, 3 captured");
  EXPECT_EQ(parse_error(linktype::ethernet,
                        cat({ethernet(0x0800),
                             ipv4({.payload = 20, .option_words = 1, .total_override = 20}),
                             tcp(1, 2, 0)})),
            "IPv4 header at offset 14: total length 20 is below header length 24");
  Bytes low_ihl = cat({ethernet(0x0800), ipv4_tcp({})});
  low_ihl[14] = 0x44;
  EXPECT_EQ(parse_error(linktype::ethernet, low_ihl),
            "IPv4 header at offset 14: header length 16 is below 20");
  EXPECT_EQ(parse_error(linktype::ethernet, cat({ethernet(0x0800), ipv4({.payload = 20}),
                                                 tcp(1, 2, 0, 4), Bytes(4, 0)})),
            "TCP header at offset 34: data offset 16 is below 20");
  EXPECT_EQ(parse_error(linktype::ethernet,
                        cat({ethernet(0x0800), ipv4({.payload = 24}), tcp(1, 2, 0, 8)})),
            "TCP header at offset 34: data offset 32 exceeds the segment length 24");
  EXPECT_EQ(
      parse_error(linktype::ethernet, cat({ethernet(0x0800), ipv4({.payload = 12}), tcp(1, 2, 0)})),
      "TCP header at offset 34: segment length 12 is below 20");
}

// Every prefix and every single-byte corruption of valid frames must parse or fail cleanly; run
// under the sanitizers this is the out-of-bounds check.
TEST(ParsePacket, DamagedFramesNeverReadOutOfBounds) {
  const Bytes v6body = cat({ext(6, 1), tcp(5, 6, tcp_flags::ack), text("payload")});
  const std::vector<std::pair<int, Bytes>> frames{
      {linktype::ethernet, cat({ethernet(0x8100), vlan(0x0800), ipv4_tcp(text("payload"))})},
      {linktype::ethernet, cat({ethernet(0x86dd), ipv6(60, v6body.size()), v6body})},
      {linktype::null,
       cat({Bytes{2, 0, 0, 0}, ipv4({.protocol = 17, .payload = 12}), udp(12), text("abcd")})},
  };
  for (const auto& [link, frame] : frames) {
    SCOPED_TRACE(link);
    auto whole = parse_packet(link, frame);
    ASSERT_TRUE(whole.ok()) << whole.error();
    ASSERT_TRUE(std::holds_alternative<PacketInfo>(*whole));
    const std::size_t headers = frame.size() - std::get<PacketInfo>(*whole).payload.size();
    for (std::size_t n = 0; n <= frame.size(); ++n) {
      const Bytes prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = parse_packet(link, prefix);
      if (n < headers) {
        // A frame cut inside its headers is an error, never a packet with a made-up payload.
        EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
      } else if (r.ok() && std::holds_alternative<PacketInfo>(*r)) {
        const ByteView payload = std::get<PacketInfo>(*r).payload;
        EXPECT_EQ(payload.data(), prefix.data() + headers);
        EXPECT_LE(payload.data() + payload.size(), prefix.data() + prefix.size());
      }
    }
    for (std::size_t i = 0; i < frame.size(); ++i) {
      for (std::uint8_t value : {std::uint8_t{0x00}, std::uint8_t{0xff}, std::uint8_t{0x45}}) {
        Bytes damaged = frame;
        damaged[i] = value;
        auto r = parse_packet(link, damaged);
        if (r.ok() && std::holds_alternative<PacketInfo>(*r)) {
          const ByteView payload = std::get<PacketInfo>(*r).payload;
          EXPECT_GE(payload.data(), damaged.data());
          EXPECT_LE(payload.data() + payload.size(), damaged.data() + damaged.size());
        }
      }
    }
  }
}

}  // namespace
}  // namespace rpcfit::captures
