// Parsing of one captured frame down to its TCP or UDP payload: link layer, IPv4 or IPv6, then the
// transport header. Pure functions over the frame bytes; libpcap stays in pcap_source.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"
#include "harness/seams/capture_sink.h"

namespace rpcfit::captures {

// pcap LINKTYPE_ values this parser understands.
namespace linktype {
inline constexpr int null = 0;
inline constexpr int ethernet = 1;
inline constexpr int raw = 101;
inline constexpr int raw_12 = 12;  // LINKTYPE_RAW as some BSDs number it (DLT_RAW)
inline constexpr int raw_14 = 14;
inline constexpr int loop = 108;
inline constexpr int linux_sll = 113;
inline constexpr int ipv4 = 228;
inline constexpr int ipv6 = 229;
inline constexpr int linux_sll2 = 276;
}  // namespace linktype

// TCP header flag bits as they appear in TcpInfo::flags.
namespace tcp_flags {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flags

struct TcpInfo {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;  // the whole flags byte; see tcp_flags
};

struct PacketInfo {
  TransportKind transport = TransportKind::tcp;
  Endpoint src;
  Endpoint dst;
  TcpInfo tcp;  // meaningful for tcp only
  // The transport payload inside the frame buffer, cut to what was captured and to the length the
  // IP (and, for UDP, the UDP) header declares, so Ethernet padding is never part of it.
  ByteView payload;
  // The capture (snaplen) cut the payload short of what the headers declare.
  bool payload_truncated = false;
};

enum class SkipReason : std::uint8_t { not_ip, ip_fragment, other_transport, unsupported_linktype };
std::string_view to_string(SkipReason reason);

// A frame that is well formed but carries nothing this reader follows (ARP, ICMP, an IP fragment
// that is not reassembled, ...). Not an error.
struct Skipped {
  SkipReason reason = SkipReason::not_ip;
  std::string detail;
};

using ParsedPacket = std::variant<PacketInfo, Skipped>;

// A PacketInfo whose payload points into `frame`, or a Skipped, or an error naming the layer and
// the offset in the frame, e.g. "IPv4 header at offset 14: total length 20 is below header length
// 24". Headers the capture cut short are errors: nothing is read beyond `frame`.
Result<ParsedPacket, std::string> parse_packet(int linktype, ByteView frame);

}  // namespace rpcfit::captures
