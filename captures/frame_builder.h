// Synthesizes whole Ethernet II frames (IPv4 or IPv6, then TCP or UDP) around a payload, with every
// checksum correct, so that a capture written from PDUs alone decodes in Wireshark with checksum
// validation on. Pure functions: every varying field (IP id, sequence numbers) is an input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/core/bytes.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"

namespace rpcfit::captures {

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;

inline constexpr std::size_t kEthernetHeaderSize = 14;
inline constexpr std::size_t kIpv4HeaderSize = 20;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::size_t kTcpHeaderSize = 20;
inline constexpr std::size_t kTcpMssOptionSize = 4;
inline constexpr std::size_t kUdpHeaderSize = 8;

struct TcpSegmentSpec {
  Endpoint src;
  Endpoint dst;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;  // kTcpFin | kTcpSyn | ...
  std::uint16_t window = 65535;
  ByteView payload;
  // Nonzero adds a maximum-segment-size option; meaningful on SYN segments only.
  std::uint16_t mss = 0;
  // IPv4 identification; IPv6 has no such field and ignores it.
  std::uint16_t ip_id = 0;
};

// Largest payload that still fits one IP packet (IPv4 total length and IPv6 payload length are
// both 16-bit); larger payloads must be split by the caller.
std::size_t max_tcp_payload(bool v6);
std::size_t max_udp_payload(bool v6);

// Locally administered unicast MAC (02:...) that is a function of the address alone, so a host
// keeps one MAC across all its connections and two runs agree byte for byte.
std::array<std::uint8_t, 6> mac_for(const IpAddress& address);

// Errors: the endpoints are of different families, or the payload does not fit one packet.
Result<Bytes, std::string> build_tcp_frame(const TcpSegmentSpec& spec);
Result<Bytes, std::string> build_udp_frame(const Endpoint& src, const Endpoint& dst,
                                           ByteView payload, std::uint16_t ip_id = 0);

}  // namespace rpcfit::captures
