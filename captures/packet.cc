#include "captures/packet.h"

#include <algorithm>
#include <cstdio>

namespace rpcfit::captures {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEtherQinQLegacy = 0x9100;  // pre-802.1ad stacking, still in the wild
// Values below this in the EtherType position are 802.3 lengths (an LLC frame follows).
constexpr std::uint16_t kEtherTypeMin = 0x0600;
// Real networks stack two or three tags; more than this is a corrupt or hostile frame.
constexpr std::size_t kMaxVlanTags = 8;

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kVlanTag = 4;
constexpr std::size_t kSllHeader = 16;
constexpr std::size_t kSll2Header = 20;
constexpr std::size_t kNullHeader = 4;
constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kTcpMinHeader = 20;
constexpr std::size_t kUdpHeader = 8;

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kIpv6HopByHop = 0;
constexpr std::uint8_t kIpv6Routing = 43;
constexpr std::uint8_t kIpv6Fragment = 44;
constexpr std::uint8_t kIpv6Auth = 51;
constexpr std::uint8_t kIpv6DestOptions = 60;

// AF_INET is 2 everywhere; AF_INET6 differs: Linux 10, OpenBSD/NetBSD 24, FreeBSD 28, macOS 30.
constexpr std::uint32_t kAfInet = 2;
bool is_af_inet6(std::uint32_t family) {
  return family == 10 || family == 24 || family == 28 || family == 30;
}

// Where the IP header starts; version 0 means the link layer does not say (raw IP).
struct NetworkStart {
  std::size_t offset = 0;
  int version = 0;
};

struct IpLayer {
  IpAddress src;
  IpAddress dst;
  std::uint8_t protocol = 0;
  std::size_t transport_offset = 0;
  // End of the IP payload as the IP header declares it; may lie beyond the captured bytes.
  std::size_t declared_end = 0;
};

// Why parsing stopped short of a payload: a skip or an error. Each layer fills it in and returns
// false; layers do not return variants of it because g++ 12 then warns wrongly of uninitialized
// strings (-Wmaybe-uninitialized with the sanitizers).
struct Stop {
  bool error = false;
  SkipReason reason = SkipReason::not_ip;
  std::string text;  // the error message, or the skip's detail
};

bool fail(Stop& stop, std::string_view layer, std::size_t offset, const std::string& what) {
  stop.error = true;
  stop.text = std::string(layer) + " at offset " + std::to_string(offset) + ": " + what;
  return false;
}

bool skip(Stop& stop, SkipReason reason, std::string detail) {
  stop.error = false;
  stop.reason = reason;
  stop.text = std::move(detail);
  return false;
}

bool found(NetworkStart& out, std::size_t offset, int version) {
  out = NetworkStart{offset, version};
  return true;
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v));
  return buf;
}

std::string needs(std::size_t wanted, std::size_t captured) {
  return "needs " + std::to_string(wanted) + " bytes, " + std::to_string(captured) + " captured";
}

bool from_ethertype(std::uint16_t type, std::size_t next, NetworkStart& out, Stop& stop) {
  if (type == kEtherIpv4) return found(out, next, 4);
  if (type == kEtherIpv6) return found(out, next, 6);
  if (type < kEtherTypeMin) {
    return skip(stop, SkipReason::not_ip, "802.3 length " + std::to_string(type));
  }
  return skip(stop, SkipReason::not_ip, "ethertype " + hex16(type));
}

bool is_vlan(std::uint16_t type) {
  return type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQLegacy;
}

// `type` was read just before `next`; VLAN tags (each a TCI then the inner EtherType) may follow.
bool after_ethertype(ByteView f, std::uint16_t type, std::size_t next, NetworkStart& out,
                     Stop& stop) {
  for (std::size_t tags = 0; is_vlan(type); ++tags) {
    if (tags == kMaxVlanTags) {
      return fail(stop, "VLAN tag", next,
                  "more than " + std::to_string(kMaxVlanTags) + " stacked tags");
    }
    if (f.size() - next < kVlanTag) {
      return fail(stop, "VLAN tag", next, needs(kVlanTag, f.size() - next));
    }
    type = load_be16(f.data() + next + 2);
    next += kVlanTag;
  }
  return from_ethertype(type, next, out, stop);
}

bool link_null(ByteView f, bool network_order_only, NetworkStart& out, Stop& stop) {
  const std::string layer = network_order_only ? "LOOP header" : "NULL header";
  if (f.size() < kNullHeader) return fail(stop, layer, 0, needs(kNullHeader, f.size()));
  // NULL stores the family in the capturing host's order, which the file does not record; a
  // family is a small number, so whichever reading is small is the right one.
  std::uint32_t family = load_be32(f.data());
  if (!network_order_only && family > 0xffff) family = load_le32(f.data());
  if (family == kAfInet) return found(out, kNullHeader, 4);
  if (is_af_inet6(family)) return found(out, kNullHeader, 6);
  return skip(stop, SkipReason::not_ip, "address family " + std::to_string(family));
}

bool link_layer(int link, ByteView f, NetworkStart& out, Stop& stop) {
  switch (link) {
    case linktype::ethernet:
      if (f.size() < kEthernetHeader) {
        return fail(stop, "Ethernet header", 0, needs(kEthernetHeader, f.size()));
      }
      return after_ethertype(f, load_be16(f.data() + 12), kEthernetHeader, out, stop);
    case linktype::linux_sll:
      if (f.size() < kSllHeader) {
        return fail(stop, "Linux SLL header", 0, needs(kSllHeader, f.size()));
      }
      return after_ethertype(f, load_be16(f.data() + 14), kSllHeader, out, stop);
    case linktype::linux_sll2:
      if (f.size() < kSll2Header) {
        return fail(stop, "Linux SLL2 header", 0, needs(kSll2Header, f.size()));
      }
      return after_ethertype(f, load_be16(f.data()), kSll2Header, out, stop);
    case linktype::null:
      return link_null(f, false, out, stop);
    case linktype::loop:
      return link_null(f, true, out, stop);
    case linktype::raw:
    case linktype::raw_12:
    case linktype::raw_14:
      return found(out, 0, 0);
    case linktype::ipv4:
      return found(out, 0, 4);
    case linktype::ipv6:
      return found(out, 0, 6);
    default:
      break;
  }
  return skip(stop, SkipReason::unsupported_linktype, "link type " + std::to_string(link));
}

bool ipv4(ByteView f, std::size_t off, IpLayer& ip, Stop& stop) {
  const char* layer = "IPv4 header";
  const std::size_t avail = f.size() - off;
  if (avail < kIpv4MinHeader) return fail(stop, layer, off, needs(kIpv4MinHeader, avail));
  const std::uint8_t* p = f.data() + off;
  const std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  if (ihl < kIpv4MinHeader) {
    return fail(stop, layer, off, "header length " + std::to_string(ihl) + " is below 20");
  }
  if (ihl > avail) {
    return fail(stop, layer, off,
                "header length " + std::to_string(ihl) + " exceeds the " + std::to_string(avail) +
                    " bytes captured");
  }
  std::size_t total = load_be16(p + 2);
  // Segmentation offload leaves the length zero in frames captured on the sending host; Wireshark
  // then takes the captured length, and so do we.
  if (total == 0) total = avail;
  if (total < ihl) {
    return fail(
        stop, layer, off,
        "total length " + std::to_string(total) + " is below header length " + std::to_string(ihl));
  }
  const std::uint16_t frag = load_be16(p + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  const unsigned frag_offset = frag & 0x1fffu;
  if (more_fragments || frag_offset != 0) {
    return skip(stop, SkipReason::ip_fragment,
                "IPv4 fragment id " + hex16(load_be16(p + 4)) + " offset " +
                    std::to_string(frag_offset * 8));
  }
  ip.src = IpAddress::v4(p[12], p[13], p[14], p[15]);
  ip.dst = IpAddress::v4(p[16], p[17], p[18], p[19]);
  ip.protocol = p[9];
  ip.transport_offset = off + ihl;
  ip.declared_end = off + total;
  return true;
}

IpAddress v6_address(const std::uint8_t* p) {
  IpAddress a;
  a.v6 = true;
  std::copy(p, p + 16, a.bytes.begin());
  return a;
}

std::string_view ipv6_header_name(std::uint8_t next) {
  switch (next) {
    case kIpv6HopByHop:
      return "IPv6 hop-by-hop options header";
    case kIpv6Routing:
      return "IPv6 routing header";
    case kIpv6Fragment:
      return "IPv6 fragment header";
    case kIpv6Auth:
      return "IPv6 authentication header";
    default:
      return "IPv6 destination options header";
  }
}

bool ipv6(ByteView f, std::size_t off, IpLayer& ip, Stop& stop) {
  const std::size_t avail = f.size() - off;
  if (avail < kIpv6Header) return fail(stop, "IPv6 header", off, needs(kIpv6Header, avail));
  const std::uint8_t* p = f.data() + off;
  const std::size_t payload_length = load_be16(p + 4);
  ip.src = v6_address(p + 8);
  ip.dst = v6_address(p + 24);
  // Zero is a jumbogram or segmentation offload; either way the captured bytes are all there is.
  ip.declared_end = payload_length == 0 ? f.size() : off + kIpv6Header + payload_length;
  std::uint8_t next = p[6];
  std::size_t pos = off + kIpv6Header;
  // Each extension header is at least 8 bytes and must fit the declared payload, so this ends.
  for (;;) {
    if (next == kProtoTcp || next == kProtoUdp) break;
    if (next != kIpv6HopByHop && next != kIpv6Routing && next != kIpv6DestOptions &&
        next != kIpv6Fragment && next != kIpv6Auth) {
      return skip(stop, SkipReason::other_transport, "IPv6 next header " + std::to_string(next));
    }
    const std::string_view layer = ipv6_header_name(next);
    const std::size_t room = ip.declared_end - pos;
    const std::size_t captured = f.size() > pos ? f.size() - pos : 0;
    if (room < 8) {
      return fail(stop, layer, pos, "only " + std::to_string(room) + " bytes of payload left");
    }
    if (captured < 8) return fail(stop, layer, pos, needs(8, captured));
    const std::uint8_t* h = f.data() + pos;
    std::size_t length = 8;
    if (next == kIpv6Fragment) {
      const std::uint16_t frag = load_be16(h + 2);
      const unsigned frag_offset = frag >> 3;
      const bool more_fragments = (frag & 1u) != 0;
      // An atomic fragment (offset 0, no more) is a whole packet with a fragment header.
      if (frag_offset != 0 || more_fragments) {
        return skip(stop, SkipReason::ip_fragment,
                    "IPv6 fragment id " + std::to_string(load_be32(h + 4)) + " offset " +
                        std::to_string(frag_offset * 8));
      }
    } else if (next == kIpv6Auth) {
      length = (static_cast<std::size_t>(h[1]) + 2) * 4;
    } else {
      length = (static_cast<std::size_t>(h[1]) + 1) * 8;
    }
    if (length > room) {
      return fail(stop, layer, pos,
                  "length " + std::to_string(length) + " exceeds the " + std::to_string(room) +
                      " bytes of payload left");
    }
    if (length > captured) return fail(stop, layer, pos, needs(length, captured));
    next = h[0];
    pos += length;
  }
  ip.protocol = next;
  ip.transport_offset = pos;
  return true;
}

bool ip_layer(ByteView f, NetworkStart start, IpLayer& ip, Stop& stop) {
  const std::size_t off = start.offset;
  if (off >= f.size()) return fail(stop, "IP header", off, "nothing captured");
  const int version = f[off] >> 4;
  if (start.version == 0 && version != 4 && version != 6) {
    return fail(stop, "IP header", off,
                "version " + std::to_string(version) + " is neither 4 nor 6");
  }
  const int want = start.version == 0 ? version : start.version;
  const char* layer = want == 4 ? "IPv4 header" : "IPv6 header";
  if (version != want) return fail(stop, layer, off, "version field is " + std::to_string(version));
  return want == 4 ? ipv4(f, off, ip, stop) : ipv6(f, off, ip, stop);
}

bool transport(ByteView f, const IpLayer& ip, PacketInfo& info, Stop& stop) {
  const std::size_t pos = ip.transport_offset;
  const std::size_t captured_end = std::min(ip.declared_end, f.size());
  const std::size_t declared = ip.declared_end - pos;
  const std::size_t captured = captured_end > pos ? captured_end - pos : 0;
  info.src.address = ip.src;
  info.dst.address = ip.dst;
  if (ip.protocol == kProtoTcp) {
    const char* layer = "TCP header";
    if (declared < kTcpMinHeader) {
      return fail(stop, layer, pos, "segment length " + std::to_string(declared) + " is below 20");
    }
    if (captured < kTcpMinHeader) return fail(stop, layer, pos, needs(kTcpMinHeader, captured));
    const std::uint8_t* p = f.data() + pos;
    const std::size_t header = static_cast<std::size_t>(p[12] >> 4) * 4;
    if (header < kTcpMinHeader) {
      return fail(stop, layer, pos, "data offset " + std::to_string(header) + " is below 20");
    }
    if (header > declared) {
      return fail(stop, layer, pos,
                  "data offset " + std::to_string(header) + " exceeds the segment length " +
                      std::to_string(declared));
    }
    if (header > captured) return fail(stop, layer, pos, needs(header, captured));
    info.transport = TransportKind::tcp;
    info.src.port = load_be16(p);
    info.dst.port = load_be16(p + 2);
    info.tcp.seq = load_be32(p + 4);
    info.tcp.ack = load_be32(p + 8);
    info.tcp.flags = p[13];
    info.payload = f.subspan(pos + header, captured - header);
    info.payload_truncated = captured < declared;
    return true;
  }
  if (ip.protocol == kProtoUdp) {
    const char* layer = "UDP header";
    if (declared < kUdpHeader) {
      return fail(stop, layer, pos, "datagram length " + std::to_string(declared) + " is below 8");
    }
    if (captured < kUdpHeader) return fail(stop, layer, pos, needs(kUdpHeader, captured));
    const std::uint8_t* p = f.data() + pos;
    const std::size_t length = load_be16(p + 4);
    if (length < kUdpHeader) {
      return fail(stop, layer, pos, "length " + std::to_string(length) + " is below 8");
    }
    info.transport = TransportKind::udp;
    info.src.port = load_be16(p);
    info.dst.port = load_be16(p + 2);
    const std::size_t available = std::min(length, captured);
    info.payload = f.subspan(pos + kUdpHeader, available - kUdpHeader);
    info.payload_truncated = length > captured;
    return true;
  }
  return skip(stop, SkipReason::other_transport, "IP protocol " + std::to_string(ip.protocol));
}

}  // namespace

std::string_view to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::not_ip:
      return "not IP";
    case SkipReason::ip_fragment:
      return "IP fragment";
    case SkipReason::other_transport:
      return "neither TCP nor UDP";
    case SkipReason::unsupported_linktype:
      return "unsupported link type";
  }
  return "unknown";
}

Result<ParsedPacket, std::string> parse_packet(int link, ByteView frame) {
  Stop stop;
  NetworkStart start;
  IpLayer ip;
  PacketInfo info;
  if (link_layer(link, frame, start, stop) && ip_layer(frame, start, ip, stop) &&
      transport(frame, ip, info, stop)) {
    return ParsedPacket(info);
  }
  if (stop.error) return rpcfit::unexpected(std::move(stop.text));
  return ParsedPacket(Skipped{stop.reason, std::move(stop.text)});
}

}  // namespace rpcfit::captures
