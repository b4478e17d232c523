// An IPv4 or IPv6 address and port: the endpoints of captured and live traffic.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpcfit {

struct IpAddress {
  bool v6 = false;
  // IPv4 uses the first four bytes; the rest stay zero.
  std::array<std::uint8_t, 16> bytes{};

  static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
  static IpAddress loopback_v4() { return v4(127, 0, 0, 1); }
  // "127.0.0.1" or "::1"; nullopt when it is neither form.
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;

  // "10.0.0.1:135" or "[::1]:135".
  std::string to_string() const;
  static std::optional<Endpoint> parse(std::string_view text);

  auto operator<=>(const Endpoint&) const = default;
};

// What carries a conversation, as captures frame it: a TCP stream (connection-oriented PDUs,
// whichever protocol sequence carried them) or UDP datagrams.
enum class TransportKind : std::uint8_t { tcp, udp };

// Wall-clock instants in captures: nanoseconds since the Unix epoch.
using Timestamp = std::chrono::nanoseconds;

// "1700000000.123456789"
std::string format_timestamp(Timestamp t);

}  // namespace rpcfit
