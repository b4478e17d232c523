#include "captures/frame_builder.h"

namespace rpcfit::captures {
namespace {

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr std::uint8_t kHopLimit = 64;
constexpr std::uint16_t kIpv4DontFragment = 0x4000;
constexpr std::size_t kIpMaxLength = 65535;

std::size_t address_size(const IpAddress& a) {
  return a.v6 ? 16 : 4;
}
std::size_t ip_header_size(bool v6) {
  return v6 ? kIpv6HeaderSize : kIpv4HeaderSize;
}

// 64-bit accumulator: a 64 KiB segment of 0xffff words would overflow 32 bits before folding.
std::uint64_t add_words(ByteView data, std::uint64_t sum) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += load_be16(&data[i]);
  if (i < data.size()) sum += std::uint64_t{data[i]} << 8;
  return sum;
}

std::uint16_t finish_checksum(std::uint64_t sum) {
  while ((sum >> 16) != 0)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

// The IPv4 and IPv6 pseudo-headers differ in layout but hold the same words (addresses, protocol,
// upper-layer length), and one's-complement addition does not care about their order.
std::uint64_t pseudo_header_sum(const Endpoint& src, const Endpoint& dst, std::uint8_t protocol,
                                std::size_t length) {
  std::uint64_t sum = add_words(ByteView(src.address.bytes.data(), address_size(src.address)), 0);
  sum = add_words(ByteView(dst.address.bytes.data(), address_size(dst.address)), sum);
  return sum + protocol + (length >> 16) + (length & 0xffff);
}

void append_be16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void append_be32(Bytes& out, std::uint32_t v) {
  append_be16(out, static_cast<std::uint16_t>(v >> 16));
  append_be16(out, static_cast<std::uint16_t>(v));
}

void append_address(Bytes& out, const IpAddress& a) {
  out.insert(out.end(), a.bytes.begin(),
             a.bytes.begin() + static_cast<std::ptrdiff_t>(address_size(a)));
}

std::string check_families(const Endpoint& src, const Endpoint& dst) {
  if (src.address.v6 == dst.address.v6) return {};
  return "endpoints of different address families: " + src.to_string() + " -> " + dst.to_string();
}

// Ethernet and IP headers for a transport segment of `segment_size` bytes.
Bytes link_and_ip_headers(const Endpoint& src, const Endpoint& dst, std::uint8_t protocol,
                          std::size_t segment_size, std::uint16_t ip_id) {
  const bool v6 = src.address.v6;
  Bytes out;
  out.reserve(kEthernetHeaderSize + ip_header_size(v6) + segment_size);
  const auto dst_mac = mac_for(dst.address);
  const auto src_mac = mac_for(src.address);
  out.insert(out.end(), dst_mac.begin(), dst_mac.end());
  out.insert(out.end(), src_mac.begin(), src_mac.end());
  append_be16(out, v6 ? kEtherTypeIpv6 : kEtherTypeIpv4);
  if (v6) {
    append_be32(out, 0x60000000);  // version 6, traffic class 0, flow label 0
    append_be16(out, static_cast<std::uint16_t>(segment_size));
    out.push_back(protocol);
    out.push_back(kHopLimit);
    append_address(out, src.address);
    append_address(out, dst.address);
    return out;
  }
  const std::size_t ip_start = out.size();
  out.push_back(0x45);  // version 4, header length 5 words
  out.push_back(0);
  append_be16(out, static_cast<std::uint16_t>(kIpv4HeaderSize + segment_size));
  append_be16(out, ip_id);
  append_be16(out, kIpv4DontFragment);
  out.push_back(kHopLimit);
  out.push_back(protocol);
  append_be16(out, 0);
  append_address(out, src.address);
  append_address(out, dst.address);
  const std::uint16_t checksum =
      finish_checksum(add_words(ByteView(out).subspan(ip_start, kIpv4HeaderSize), 0));
  store_be16(&out[ip_start + 10], checksum);
  return out;
}

}  // namespace

std::size_t max_tcp_payload(bool v6) {
  return kIpMaxLength - (v6 ? 0 : kIpv4HeaderSize) - kTcpHeaderSize;
}

std::size_t max_udp_payload(bool v6) {
  return kIpMaxLength - (v6 ? 0 : kIpv4HeaderSize) - kUdpHeaderSize;
}

std::array<std::uint8_t, 6> mac_for(const IpAddress& address) {
  if (!address.v6) {
    return {0x02, 0x00, address.bytes[0], address.bytes[1], address.bytes[2], address.bytes[3]};
  }
  // FNV-1a folds the 16 address bytes into the 4 that fit after the 02:06 prefix.
  std::uint32_t h = 2166136261u;
  for (std::uint8_t b : address.bytes)
    h = (h ^ b) * 16777619u;
  return {0x02,
          0x06,
          static_cast<std::uint8_t>(h >> 24),
          static_cast<std::uint8_t>(h >> 16),
          static_cast<std::uint8_t>(h >> 8),
          static_cast<std::uint8_t>(h)};
}

Result<Bytes, std::string> build_tcp_frame(const TcpSegmentSpec& spec) {
  if (auto err = check_families(spec.src, spec.dst); !err.empty()) return unexpected(err);
  const bool v6 = spec.src.address.v6;
  const std::size_t header_size = kTcpHeaderSize + (spec.mss != 0 ? kTcpMssOptionSize : 0);
  if (spec.payload.size() > max_tcp_payload(v6) + kTcpHeaderSize - header_size) {
    return unexpected("TCP payload of " + std::to_string(spec.payload.size()) +
                      " bytes does not fit one IP" + (v6 ? "v6" : "v4") + " packet");
  }
  const std::size_t segment_size = header_size + spec.payload.size();
  Bytes out = link_and_ip_headers(spec.src, spec.dst, kProtoTcp, segment_size, spec.ip_id);
  const std::size_t tcp_start = out.size();
  append_be16(out, spec.src.port);
  append_be16(out, spec.dst.port);
  append_be32(out, spec.seq);
  append_be32(out, spec.ack);
  out.push_back(static_cast<std::uint8_t>((header_size / 4) << 4));
  out.push_back(spec.flags);
  append_be16(out, spec.window);
  append_be16(out, 0);  // checksum, filled below
  append_be16(out, 0);  // urgent pointer
  if (spec.mss != 0) {
    out.push_back(2);  // option kind: maximum segment size
    out.push_back(static_cast<std::uint8_t>(kTcpMssOptionSize));
    append_be16(out, spec.mss);
  }
  out.insert(out.end(), spec.payload.begin(), spec.payload.end());
  std::uint64_t sum = pseudo_header_sum(spec.src, spec.dst, kProtoTcp, segment_size);
  sum = add_words(ByteView(out).subspan(tcp_start), sum);
  store_be16(&out[tcp_start + 16], finish_checksum(sum));
  return out;
}

Result<Bytes, std::string> build_udp_frame(const Endpoint& src, const Endpoint& dst,
                                           ByteView payload, std::uint16_t ip_id) {
  if (auto err = check_families(src, dst); !err.empty()) return unexpected(err);
  const bool v6 = src.address.v6;
  if (payload.size() > max_udp_payload(v6)) {
    return unexpected("UDP payload of " + std::to_string(payload.size()) +
                      " bytes does not fit one IP" + (v6 ? "v6" : "v4") + " packet");
  }
  const std::size_t segment_size = kUdpHeaderSize + payload.size();
  Bytes out = link_and_ip_headers(src, dst, kProtoUdp, segment_size, ip_id);
  const std::size_t udp_start = out.size();
  append_be16(out, src.port);
  append_be16(out, dst.port);
  append_be16(out, static_cast<std::uint16_t>(segment_size));
  append_be16(out, 0);
  out.insert(out.end(), payload.begin(), payload.end());
  std::uint64_t sum = pseudo_header_sum(src, dst, kProtoUdp, segment_size);
  std::uint16_t checksum = finish_checksum(add_words(ByteView(out).subspan(udp_start), sum));
  // A computed zero goes on the wire as all ones: zero means "no checksum" in UDP over IPv4 and
  // is invalid over IPv6.
  if (checksum == 0) checksum = 0xffff;
  store_be16(&out[udp_start + 6], checksum);
  return out;
}

}  // namespace rpcfit::captures
