#include "harness/core/endpoint.h"

#include <arpa/inet.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace rpcfit {

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string Endpoint::to_string() const {
  const std::string ip = address.to_string();
  return (address.v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return std::nullopt;
  return Endpoint{*ip, static_cast<std::uint16_t>(port)};
}

std::string format_timestamp(Timestamp t) {
  const std::int64_t ns = t.count();
  const std::int64_t sec = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  const std::int64_t frac = ns - sec * 1000000000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64, sec, frac);
  return buf;
}

}  // namespace rpcfit
